"""Recordings API: start, stop, list, read with a download link; tenants see only their own rooms."""

import uuid

import httpx
import pytest
from livekit.protocol import egress as proto_egress
from sqlalchemy import select

from meetings.api.app import create_app
from meetings.identity.roles import UserRole
from meetings.secretary.events.models import RoomEvent
from meetings.secretary.recordings.models import Recording, RecordingStatus
from meetings.secretary.recordings.routes import router
from meetings.secretary.rooms.models import RoomStatus
from meetings.settings import get_settings
from tests.factories import make_entity, make_user
from tests.recordings.support import make_active_room, make_recording


@pytest.fixture
def client(api):
    return api(create_app("recordings under test", [router]))


@pytest.fixture
def clinic(db):
    return make_entity(db, recording_retention_days=90)


@pytest.fixture
def admin_user(db, clinic):
    return make_user(db, role=UserRole.ENTITY_ADMIN, entity=clinic)


@pytest.fixture
def admin(admin_user, auth_headers):
    return auth_headers(admin_user)


@pytest.fixture
def manager(db, auth_headers):
    return auth_headers(make_user(db, role=UserRole.MANAGER))


@pytest.fixture
def outsider(db, auth_headers):
    return auth_headers(make_user(db, role=UserRole.ENTITY_ADMIN, entity=make_entity(db)))


@pytest.fixture
def live_room(db, clinic, livekit_server):
    room = make_active_room(db, clinic)
    livekit_server.ensure_room(room.livekit_room_id)
    return room


def events(db, room_id: str, name: str) -> list[dict]:
    rows = db.execute(select(RoomEvent).where(RoomEvent.room_id == room_id, RoomEvent.event_name == name))
    return [row.data for row in rows.scalars()]


# ---- start ---------------------------------------------------------------------------------------


def test_starting_a_recording_starts_a_room_composite_mp4_egress_into_the_bucket(
    client, db, admin, admin_user, live_room, clinic, livekit_server, s3
):
    answer = client.post(f"/v1/rooms/{live_room.id}/recordings", headers=admin)

    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "PROCESSING" and body["attempt"] == 1
    assert body["s3_key"] == f"recordings/{clinic.id}/{live_room.id}/{body['id']}.mp4"
    assert (body["s3_bucket"], body["retention_days"], body["format"]) == (s3.bucket, 90, "mp4")
    [request] = livekit_server.method_calls("StartRoomCompositeEgress")
    assert request.room_name == live_room.livekit_room_id
    [output] = request.file_outputs
    assert (output.filepath, output.file_type, output.s3.bucket) == (
        body["s3_key"],
        proto_egress.MP4,
        s3.bucket,
    )
    assert (output.s3.endpoint, output.s3.force_path_style) == (
        s3.meta.endpoint_url,
        True,
    )  # the local endpoint
    assert output.disable_manifest
    assert body["livekit_egress_id"] in livekit_server.egresses
    assert events(db, live_room.id, "RECORDING_STARTED") == [
        {
            "recording_id": body["id"],
            "attempt": 1,
            "egress_id": body["livekit_egress_id"],
            "started_by": admin_user.id,
        }
    ]


def test_the_egress_uploads_with_the_role_the_operator_configured(
    client, admin, live_room, livekit_server, s3, monkeypatch
):
    monkeypatch.setenv("EGRESS_S3_ASSUME_ROLE_ARN", "arn:aws:iam::123456789012:role/egress-upload")
    monkeypatch.setenv("EGRESS_S3_ASSUME_ROLE_EXTERNAL_ID", "meetings-prod")
    get_settings.cache_clear()

    assert client.post(f"/v1/rooms/{live_room.id}/recordings", headers=admin).status_code == 201

    upload = livekit_server.method_calls("StartRoomCompositeEgress")[0].file_outputs[0].s3
    assert (upload.assume_role_arn, upload.assume_role_external_id) == (
        "arn:aws:iam::123456789012:role/egress-upload",
        "meetings-prod",
    )
    assert (upload.access_key, upload.secret) == ("", "")


def test_purge_date_follows_the_entity_retention(client, db, admin, live_room, s3):
    body = client.post(f"/v1/rooms/{live_room.id}/recordings", headers=admin).json()

    recording = db.get(Recording, uuid.UUID(body["id"]))
    assert (recording.purge_at - recording.created_at).days == 90


def test_an_independent_room_is_recorded_for_30_days_under_independent(
    client, db, manager, livekit_server, s3
):
    room = make_active_room(db)
    livekit_server.ensure_room(room.livekit_room_id)

    body = client.post(f"/v1/rooms/{room.id}/recordings", headers=manager).json()

    assert body["retention_days"] == 30
    assert body["s3_key"].startswith(f"recordings/independent/{room.id}/")


@pytest.mark.parametrize("status", [RoomStatus.SCHEDULED, RoomStatus.COMPLETED, RoomStatus.CANCELED])
def test_only_an_active_room_can_be_recorded(client, db, admin, clinic, livekit_server, s3, status):
    room = make_active_room(db, clinic, status=status)

    answer = client.post(f"/v1/rooms/{room.id}/recordings", headers=admin)

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "room_not_active"
    assert livekit_server.method_calls("StartRoomCompositeEgress") == []


def test_a_room_already_being_recorded_is_not_recorded_twice(client, admin, live_room, livekit_server, s3):
    assert client.post(f"/v1/rooms/{live_room.id}/recordings", headers=admin).status_code == 201

    answer = client.post(f"/v1/rooms/{live_room.id}/recordings", headers=admin)

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "recording_in_progress"
    assert len(livekit_server.method_calls("StartRoomCompositeEgress")) == 1


def test_a_new_recording_can_start_once_the_previous_egress_ended(
    client, admin, live_room, livekit_server, s3
):
    first = client.post(f"/v1/rooms/{live_room.id}/recordings", headers=admin).json()
    livekit_server.set_egress_status(first["livekit_egress_id"], proto_egress.EGRESS_COMPLETE)

    assert client.post(f"/v1/rooms/{live_room.id}/recordings", headers=admin).status_code == 201


def test_livekit_refusing_the_egress_answers_502_and_records_nothing(
    client, db, admin, live_room, livekit_server, s3
):
    livekit_server.fail_next("StartRoomCompositeEgress", status=503, code="unavailable")

    answer = client.post(f"/v1/rooms/{live_room.id}/recordings", headers=admin)

    assert answer.status_code == 502
    assert db.execute(select(Recording).where(Recording.room_id == live_room.id)).first() is None
    assert events(db, live_room.id, "RECORDING_STARTED") == []


def test_a_room_livekit_does_not_know_answers_409(client, db, admin, clinic, livekit_server, s3):
    room = make_active_room(db, clinic)  # ACTIVE in the database, nobody connected in LiveKit

    answer = client.post(f"/v1/rooms/{room.id}/recordings", headers=admin)

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "egress_unavailable"


def test_another_entitys_room_is_not_found_like_a_missing_one(
    client, db, outsider, live_room, livekit_server, s3
):
    foreign = client.post(f"/v1/rooms/{live_room.id}/recordings", headers=outsider)
    missing = client.post("/v1/rooms/no-such-room/recordings", headers=outsider)

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["error"]["code"] == missing.json()["error"]["code"] == "room_not_found"
    assert livekit_server.method_calls("StartRoomCompositeEgress") == []


def test_an_entity_admin_cannot_record_an_independent_room(client, db, admin, livekit_server, s3):
    room = make_active_room(db)

    assert client.post(f"/v1/rooms/{room.id}/recordings", headers=admin).status_code == 404


def test_recording_endpoints_need_authentication(client, db, live_room):
    recording_id = uuid.uuid4()
    for method, path in [
        ("post", f"/v1/rooms/{live_room.id}/recordings"),
        ("get", f"/v1/rooms/{live_room.id}/recordings"),
        ("get", f"/v1/recordings/{recording_id}"),
        ("post", f"/v1/recordings/{recording_id}/stop"),
    ]:
        answer = getattr(client, method)(path)
        assert answer.status_code == 401, path
        answer = getattr(client, method)(path, headers={"Authorization": "Bearer not-a-token"})
        assert answer.status_code == 401, path


# ---- stop ----------------------------------------------------------------------------------------


def test_stopping_a_recording_stops_its_egress_and_logs_the_event(
    client, db, admin, live_room, livekit_server, s3
):
    started = client.post(f"/v1/rooms/{live_room.id}/recordings", headers=admin).json()

    answer = client.post(f"/v1/recordings/{started['id']}/stop", headers=admin)

    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "PROCESSING"  # READY once the file lands in S3
    [request] = livekit_server.method_calls("StopEgress")
    assert request.egress_id == started["livekit_egress_id"]
    [event] = events(db, live_room.id, "RECORDING_STOPPED")
    assert (event["recording_id"], event["attempt"]) == (started["id"], 1)


def test_a_stopped_recording_cannot_be_stopped_again(client, admin, live_room, livekit_server, s3):
    started = client.post(f"/v1/rooms/{live_room.id}/recordings", headers=admin).json()
    client.post(f"/v1/recordings/{started['id']}/stop", headers=admin)

    answer = client.post(f"/v1/recordings/{started['id']}/stop", headers=admin)

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "recording_already_stopped"
    assert len(livekit_server.method_calls("StopEgress")) == 1


@pytest.mark.parametrize("status", [RecordingStatus.READY, RecordingStatus.FAILED, RecordingStatus.PURGED])
def test_only_a_processing_recording_can_be_stopped(client, db, admin, live_room, livekit_server, status):
    recording = make_recording(db, live_room, status=status)

    answer = client.post(f"/v1/recordings/{recording.id}/stop", headers=admin)

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "recording_not_running"
    assert livekit_server.method_calls("StopEgress") == []


def test_stopping_an_egress_livekit_already_ended_answers_409(
    client, db, admin, live_room, livekit_server, s3
):
    started = client.post(f"/v1/rooms/{live_room.id}/recordings", headers=admin).json()
    livekit_server.set_egress_status(started["livekit_egress_id"], proto_egress.EGRESS_COMPLETE)

    answer = client.post(f"/v1/recordings/{started['id']}/stop", headers=admin)

    assert answer.status_code == 409
    assert events(db, live_room.id, "RECORDING_STOPPED") == []


def test_another_entitys_recording_cannot_be_stopped(client, db, outsider, live_room, livekit_server):
    recording = make_recording(db, live_room)

    foreign = client.post(f"/v1/recordings/{recording.id}/stop", headers=outsider)
    missing = client.post(f"/v1/recordings/{uuid.uuid4()}/stop", headers=outsider)

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["error"]["code"] == missing.json()["error"]["code"] == "recording_not_found"
    assert livekit_server.method_calls("StopEgress") == []


# ---- read ----------------------------------------------------------------------------------------


def test_a_room_lists_every_attempt_oldest_first(client, db, admin, live_room):
    first = make_recording(db, live_room, status=RecordingStatus.FAILED, age_days=0.01)
    retry = make_recording(db, live_room, attempt=2)
    make_recording(db, make_active_room(db, make_entity(db)))  # another room

    answer = client.get(f"/v1/rooms/{live_room.id}/recordings", headers=admin)

    assert answer.status_code == 200
    body = answer.json()
    assert body["total"] == 2
    assert [(item["id"], item["attempt"], item["status"]) for item in body["items"]] == [
        (str(first.id), 1, "FAILED"),
        (str(retry.id), 2, "PROCESSING"),
    ]


def test_listing_is_paginated(client, db, manager, live_room):
    for _ in range(3):
        make_recording(db, live_room)

    body = client.get(f"/v1/rooms/{live_room.id}/recordings?limit=2&offset=2", headers=manager).json()

    assert (body["total"], len(body["items"]), body["limit"], body["offset"]) == (3, 1, 2, 2)


@pytest.mark.parametrize(
    "query,field", [("limit=0", "limit"), ("limit=201", "limit"), ("offset=-1", "offset")]
)
def test_bad_pages_are_rejected_with_the_field(client, admin, live_room, query, field):
    answer = client.get(f"/v1/rooms/{live_room.id}/recordings?{query}", headers=admin)

    assert answer.status_code == 422
    assert [detail["field"] for detail in answer.json()["error"]["details"]] == [f"query.{field}"]


def test_another_entitys_room_recordings_are_not_listed(client, db, outsider, live_room):
    make_recording(db, live_room)

    answer = client.get(f"/v1/rooms/{live_room.id}/recordings", headers=outsider)

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "room_not_found"


def test_a_ready_recording_comes_with_a_working_download_link(client, db, admin, live_room, s3):
    recording = make_recording(
        db, live_room, bucket=s3.bucket, status=RecordingStatus.READY, file_size_bytes=5
    )
    s3.put_object(Bucket=s3.bucket, Key=recording.s3_key, Body=b"movie")

    answer = client.get(f"/v1/recordings/{recording.id}", headers=admin)

    assert answer.status_code == 200
    body = answer.json()
    assert "X-Amz-Expires=300" in body["download_url"]
    assert body["download_url_expires_at"]
    download = httpx.get(body["download_url"])
    assert (download.status_code, download.content) == (200, b"movie")


@pytest.mark.parametrize(
    "status", [RecordingStatus.PROCESSING, RecordingStatus.FAILED, RecordingStatus.PURGED]
)
def test_no_download_link_unless_ready(client, db, admin, live_room, s3, status):
    recording = make_recording(db, live_room, bucket=s3.bucket, status=status)

    body = client.get(f"/v1/recordings/{recording.id}", headers=admin).json()

    assert body["status"] == status.value
    assert (body["download_url"], body["download_url_expires_at"]) == (None, None)


def test_a_manager_reads_any_recording(client, db, manager, live_room, s3):
    recording = make_recording(db, live_room, bucket=s3.bucket)

    assert client.get(f"/v1/recordings/{recording.id}", headers=manager).status_code == 200


def test_another_entitys_recording_is_not_found_like_a_missing_one(client, db, outsider, live_room, s3):
    recording = make_recording(db, live_room, bucket=s3.bucket, status=RecordingStatus.READY)

    foreign = client.get(f"/v1/recordings/{recording.id}", headers=outsider)
    missing = client.get(f"/v1/recordings/{uuid.uuid4()}", headers=outsider)

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["error"]["code"] == missing.json()["error"]["code"] == "recording_not_found"
    assert "download_url" not in foreign.text


@pytest.mark.parametrize(
    "method,path", [("get", "/v1/recordings/not-a-uuid"), ("post", "/v1/recordings/42/stop")]
)
def test_a_malformed_recording_id_is_rejected_with_the_field(client, admin, method, path):
    answer = getattr(client, method)(path, headers=admin)

    assert answer.status_code == 422
    [detail] = answer.json()["error"]["details"]
    assert (detail["field"], detail["code"]) == ("path.recording_id", "uuid_parsing")


@pytest.mark.parametrize("method", ["patch", "put", "delete"])
def test_recordings_cannot_be_edited_or_deleted(client, db, manager, live_room, method):
    recording = make_recording(db, live_room)

    answer = getattr(client, method)(f"/v1/recordings/{recording.id}", headers=manager)

    assert answer.status_code == 405
    db.refresh(recording)
    assert recording.deleted_at is None
