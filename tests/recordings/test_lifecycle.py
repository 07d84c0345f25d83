"""A recording's whole life, through the real entry points and committed rows: started over the API,
its file written by the egress, finalized from the S3 event, downloaded, due, purged, and kept as a row."""

import uuid

import httpx
from fastapi.testclient import TestClient
from livekit.protocol import egress as proto_egress
from sqlalchemy import select, text

from devserver.livekit_webhooks import webhook_event
from meetings.api.app import create_app
from meetings.identity.principal import Principal
from meetings.identity.roles import UserRole
from meetings.identity.tokens import issue_access_token
from meetings.secretary.events.models import RoomEvent
from meetings.secretary.recordings.models import Recording
from meetings.secretary.recordings.routes import router
from meetings.secretary.recordings.webhook import handle_egress_event
from meetings.settings import get_settings
from tests.recordings.aws_events import LambdaContext, s3_record, scheduled_event
from tests.recordings.support import load_function

MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8


def test_start_land_ready_download_due_purged_row_kept(committed, livekit_server, s3):
    s3.put_bucket_versioning(
        Bucket=s3.bucket, VersioningConfiguration={"Status": "Enabled"}
    )  # as in make run
    clinic = committed.entity(recording_retention_days=90)
    admin = committed.user(role=UserRole.ENTITY_ADMIN, entity=clinic)
    room = committed.room(clinic)
    committed.session.commit()
    livekit_server.ensure_room(room.livekit_room_id)
    token, _ = issue_access_token(Principal(admin.id, admin.role, admin.entity_id), get_settings())
    headers = {"Authorization": f"Bearer {token}"}
    client = TestClient(create_app("recordings", [router]))  # real sessions and commits

    # Started over the API: a PROCESSING recording and a running egress.
    started = client.post(f"/v1/rooms/{room.id}/recordings", headers=headers)
    assert started.status_code == 201, started.text
    recording_id, key = started.json()["id"], started.json()["s3_key"]
    assert client.post(f"/v1/recordings/{recording_id}/stop", headers=headers).status_code == 200

    # The egress worker finishes: the file lands in the bucket and LiveKit reports the egress ended.
    version = s3.put_object(Bucket=s3.bucket, Key=key, Body=MP4)["VersionId"]
    egress_id = started.json()["livekit_egress_id"]
    info = livekit_server.set_egress_status(egress_id, proto_egress.EGRESS_COMPLETE)
    info.file_results.append(proto_egress.FileInfo(filename=key, duration=95 * 1_000_000_000, size=len(MP4)))
    handle_egress_event(
        db=committed.session,
        event=webhook_event("egress_ended", room_name=room.livekit_room_id, egress_info=info),
    )
    committed.session.commit()

    # S3's notification finalizes it: READY, with its size, tagged with its retention.
    finalizer = load_function("recording_finalizer").handler
    event = {"Records": [s3_record(s3.bucket, key, size=len(MP4), version_id=version)]}
    assert finalizer(event, LambdaContext(60_000)) == {"objects": 1, "finalized": 1}
    assert finalizer(event, LambdaContext(60_000)) == {"objects": 1, "finalized": 1}  # redelivered: no change

    ready = client.get(f"/v1/recordings/{recording_id}", headers=headers).json()
    assert (ready["status"], ready["file_size_bytes"], ready["duration_seconds"]) == ("READY", len(MP4), 95)
    assert s3.get_object_tagging(Bucket=s3.bucket, Key=key)["TagSet"] == [
        {"Key": "retention-days", "Value": "90"}
    ]
    assert httpx.get(ready["download_url"]).content == MP4

    # Ninety days pass.
    committed.session.execute(
        text("UPDATE recordings SET purge_at = now() - interval '1 second' WHERE id = :id"),
        {"id": recording_id},
    )
    committed.session.commit()

    report = load_function("retention_purge").handler(scheduled_event(), LambdaContext(900_000))
    assert report["complete"] is True and report["purged"] >= 1

    purged = client.get(f"/v1/recordings/{recording_id}", headers=headers).json()
    assert (purged["status"], purged["download_url"]) == ("PURGED", None)
    assert purged["deleted_at"] is not None
    listing = s3.list_object_versions(Bucket=s3.bucket, Prefix=key)
    assert not listing.get("Versions") and not listing.get("DeleteMarkers")
    assert httpx.get(ready["download_url"]).status_code in (403, 404)  # the old link leads nowhere
    assert [
        item["id"] for item in client.get(f"/v1/rooms/{room.id}/recordings", headers=headers).json()["items"]
    ] == [recording_id]
    committed.session.expire_all()
    assert committed.session.get(Recording, uuid.UUID(recording_id)).deleted_at is not None
    names = (
        committed.session.execute(
            select(RoomEvent.event_name).where(RoomEvent.room_id == room.id).order_by(RoomEvent.id)
        )
        .scalars()
        .all()
    )
    assert names == ["RECORDING_STARTED", "RECORDING_STOPPED"]
