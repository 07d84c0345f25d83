"""`make run`: embedded PostgreSQL, local S3, migrations, demo data, and every API on one port."""

import os
import sys

HOST = "127.0.0.1"
PORT = int(os.environ.get("PORT", "8000"))


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("PUBLIC_BASE_URL", f"http://{HOST}:{PORT}")
    os.environ.setdefault("WEBHOOKS_ALLOW_LOOPBACK", "true")  # a receiver on this machine can listen
    from devserver.embedded_db import local_data_dir, use_embedded_database

    use_embedded_database()
    from devserver.s3 import create_buckets, local_s3_port, start_local_s3

    if not os.environ.get("S3_ENDPOINT_URL"):
        start_local_s3(local_s3_port())

    import uvicorn

    from devserver.demo.seed import load_demo_data
    from meetings.db import session_factory
    from meetings.db_local import serve_locally_as
    from meetings.db_roles import APP_ROLE
    from meetings.db_scope import set_db_scope
    from meetings.migrate import upgrade_to_head
    from meetings.settings import get_settings

    settings = get_settings()
    livekit_note = f"LiveKit: {settings.livekit_url}"
    if not os.environ.get("LIVEKIT_URL"):
        from devserver.livekit_api import start_local_livekit_api

        stand_in_url = start_local_livekit_api(
            api_key=settings.livekit_api_key, api_secret=settings.livekit_api_secret.get_secret_value()
        )
        if stand_in_url:
            livekit_note = (
                f"LiveKit: local server-API stand-in on {stand_in_url} (no media; "
                "run `livekit-server --dev` for real meetings)"
            )
    upgrade_to_head()  # as DATABASE_URL's role (the migrator); everything after as the application role
    from meetings.db_local import local_role_url
    from meetings.db_roles import JOBS_ROLE

    jobs_url = local_role_url(JOBS_ROLE)  # the note drafter runs as the jobs role, as on AWS
    serve_locally_as(APP_ROLE)
    settings = get_settings()
    create_buckets(settings.recordings_bucket, settings.kb_bucket)
    from devserver.kb_events import start_kb_ingest_poller
    from devserver.recording_events import start_local_recording_jobs
    from devserver.webhook_dispatch import start_local_webhook_dispatcher

    start_local_recording_jobs()
    start_kb_ingest_poller()
    start_local_webhook_dispatcher()
    if jobs_url is not None:
        from devserver.note_drafts import start_local_note_drafter

        start_local_note_drafter(jobs_url)
    with set_db_scope(session_factory()(), "manager") as db:
        notes = load_demo_data(db, local_data_dir())

    from devserver.server import app

    print(f"\nMeetings platform on http://{HOST}:{PORT}  (docs: /docs, health: /health)")
    print(f"Local S3 endpoint: {os.environ['S3_ENDPOINT_URL']}")
    print(livekit_note)
    for line in notes:
        print(f"  {line}")
    print("Ctrl-C stops everything.\n", flush=True)
    uvicorn.run(app, host=HOST, port=PORT, log_level="warning")


if __name__ == "__main__":
    sys.exit(main())
