"""`make purge`: one retention-purge pass against the configured database and S3 endpoint.

With `make run` going, both are its own: the embedded PostgreSQL under LOCAL_DATA_DIR and the local S3
endpoint on LOCAL_S3_PORT (default 4566), unless DATABASE_URL / S3_ENDPOINT_URL say otherwise.
`--as-of 2027-03-01T00:00:00Z` (or PURGE_AS_OF) purges what would be due then, to try retention now.
"""

import argparse
import os
import sys
from datetime import UTC, datetime

from devserver.embedded_db import use_embedded_database
from devserver.s3 import local_s3_port, use_local_s3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make purge", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--as-of",
        default=os.environ.get("PURGE_AS_OF") or None,
        type=_timestamp,
        help="purge what is due at this ISO 8601 time instead of now",
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    use_embedded_database()
    if not os.environ.get("S3_ENDPOINT_URL"):
        use_local_s3(local_s3_port())

    from botocore.exceptions import BotoCoreError, ClientError

    from meetings.db import session_factory
    from meetings.db_local import serve_locally_as
    from meetings.db_roles import JOBS_ROLE
    from meetings.db_scope import set_db_scope
    from meetings.secretary.recordings.purge import purge_due_recordings
    from meetings.storage import s3_client

    try:
        s3_client().list_buckets()
    except (BotoCoreError, ClientError) as exc:
        print(f"S3 endpoint {os.environ['S3_ENDPOINT_URL']} is not reachable ({exc}).", file=sys.stderr)
        print("The local endpoint lives inside `make run`: start it first.", file=sys.stderr)
        return 2
    serve_locally_as(JOBS_ROLE)
    with set_db_scope(session_factory()(), "jobs") as db:
        report = purge_due_recordings(db=db, s3=s3_client(), now=args.as_of)
    when = args.as_of.isoformat() if args.as_of else "now"
    print(f"Purged {report.purged} recording(s) due as of {when} in {report.batches} batch(es).")
    for failure in report.failures:
        print(
            f"  left for the next run: {failure.recording_id} {failure.key} ({failure.code}: {failure.error_message})"
        )
    return 1 if report.failures else 0


def _timestamp(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


if __name__ == "__main__":
    sys.exit(main())
