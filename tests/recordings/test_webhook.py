"""LiveKit egress events: duration, failure, and retries while the meeting is on (each attempt its own row)."""

import logging
import uuid

import pytest
from livekit.protocol import egress as proto_egress
from sqlalchemy import select

from devserver.livekit_webhooks import webhook_event
from meetings.secretary.events.models import RoomEvent, RoomEventName
from meetings.secretary.events.service import append_room_event
from meetings.secretary.recordings.models import MAX_RECORDING_ATTEMPTS, Recording, RecordingStatus
from meetings.secretary.recordings.webhook import handle_egress_event
from meetings.secretary.rooms.models import RoomStatus
from tests.factories import make_entity
from tests.recordings.support import make_active_room, make_recording

SECOND = 1_000_000_000


@pytest.fixture
def room(db, livekit_server, s3):
    room = make_active_room(db, make_entity(db, recording_retention_days=365))
    livekit_server.ensure_room(room.livekit_room_id)
    return room


def egress_event(
    name: str, recording: Recording, status: int, *, duration_s: int = 0, error: str = "", room=None
):
    info = proto_egress.EgressInfo(egress_id=recording.livekit_egress_id, status=status, error=error)
    if duration_s:
        info.file_results.append(
            proto_egress.FileInfo(filename=recording.s3_key, duration=duration_s * SECOND)
        )
    return webhook_event(name, room_name=room.livekit_room_id if room else "meeting", egress_info=info)


def attempts(db, room) -> list[Recording]:
    return list(
        db.execute(
            select(Recording).where(Recording.room_id == room.id).order_by(Recording.attempt)
        ).scalars()
    )


def test_egress_ended_stores_the_duration(db, room):
    recording = make_recording(db, room, retention_days=365)

    handle_egress_event(
        db=db, event=egress_event("egress_ended", recording, proto_egress.EGRESS_COMPLETE, duration_s=1834)
    )

    assert recording.duration_seconds == 1834
    assert recording.status == RecordingStatus.PROCESSING  # READY comes from S3, when the file lands


def test_egress_started_and_updated_change_nothing(db, room):
    recording = make_recording(db, room, retention_days=365)

    for name, status in [
        ("egress_started", proto_egress.EGRESS_STARTING),
        ("egress_updated", proto_egress.EGRESS_ACTIVE),
    ]:
        handle_egress_event(db=db, event=egress_event(name, recording, status))

    assert (recording.status, recording.duration_seconds) == (RecordingStatus.PROCESSING, None)


def test_a_ready_recording_keeps_ready_when_egress_ended_arrives_after_the_object(db, room):
    recording = make_recording(db, room, retention_days=365, status=RecordingStatus.READY, file_size_bytes=10)

    handle_egress_event(
        db=db, event=egress_event("egress_ended", recording, proto_egress.EGRESS_COMPLETE, duration_s=60)
    )

    assert (recording.status, recording.duration_seconds) == (RecordingStatus.READY, 60)


def test_a_failed_egress_marks_the_recording_failed_and_retries_with_a_new_egress(db, room, livekit_server):
    recording = make_recording(db, room, retention_days=365)

    handle_egress_event(
        db=db,
        event=egress_event("egress_ended", recording, proto_egress.EGRESS_FAILED, error="boom", room=room),
    )

    first, retry = attempts(db, room)
    assert (first.id, first.status) == (recording.id, RecordingStatus.FAILED)
    assert (retry.attempt, retry.status, retry.retention_days) == (2, RecordingStatus.PROCESSING, 365)
    assert (
        retry.livekit_egress_id in livekit_server.egresses
        and retry.livekit_egress_id != first.livekit_egress_id
    )
    assert retry.s3_key.endswith(f"/{room.id}/{retry.id}.mp4")
    [request] = livekit_server.method_calls("StartRoomCompositeEgress")
    assert request.file_outputs[0].filepath == retry.s3_key
    [started] = db.execute(select(RoomEvent.data).where(RoomEvent.room_id == room.id)).scalars()
    assert started == {
        "recording_id": str(retry.id),
        "attempt": 2,
        "egress_id": retry.livekit_egress_id,
        "started_by": None,
        "retry_of": str(recording.id),
    }


def test_retries_stop_after_the_fourth_attempt(db, room, livekit_server):
    current = make_recording(db, room, retention_days=365)
    for _ in range(MAX_RECORDING_ATTEMPTS + 1):
        handle_egress_event(
            db=db, event=egress_event("egress_ended", current, proto_egress.EGRESS_FAILED, room=room)
        )
        current = attempts(db, room)[-1]

    rows = attempts(db, room)
    assert [row.attempt for row in rows] == [1, 2, 3, 4]
    assert {row.status for row in rows} == {RecordingStatus.FAILED}
    assert len(livekit_server.method_calls("StartRoomCompositeEgress")) == 3


def test_a_duplicate_failure_event_retries_once(db, room, livekit_server):
    recording = make_recording(db, room, retention_days=365)
    event = egress_event("egress_ended", recording, proto_egress.EGRESS_FAILED, room=room)

    handle_egress_event(db=db, event=event)
    handle_egress_event(db=db, event=event)

    assert [row.attempt for row in attempts(db, room)] == [1, 2]


def test_no_retry_once_the_meeting_is_over(db, livekit_server, s3):
    room = make_active_room(db, status=RoomStatus.COMPLETED)
    recording = make_recording(db, room)

    handle_egress_event(
        db=db, event=egress_event("egress_ended", recording, proto_egress.EGRESS_FAILED, room=room)
    )

    assert [(row.attempt, row.status) for row in attempts(db, room)] == [(1, RecordingStatus.FAILED)]
    assert livekit_server.method_calls("StartRoomCompositeEgress") == []


def test_no_retry_of_a_recording_a_user_stopped(db, room, livekit_server):
    recording = make_recording(db, room, retention_days=365)
    append_room_event(
        db=db,
        room_id=room.id,
        event_name=RoomEventName.RECORDING_STOPPED,
        data={"recording_id": str(recording.id), "attempt": 1},
    )
    db.flush()

    handle_egress_event(
        db=db, event=egress_event("egress_ended", recording, proto_egress.EGRESS_FAILED, room=room)
    )

    assert [row.status for row in attempts(db, room)] == [RecordingStatus.FAILED]


def test_an_aborted_egress_fails_without_retry(db, room, livekit_server):
    recording = make_recording(db, room, retention_days=365)

    handle_egress_event(
        db=db, event=egress_event("egress_ended", recording, proto_egress.EGRESS_ABORTED, room=room)
    )

    assert [row.status for row in attempts(db, room)] == [RecordingStatus.FAILED]


def test_a_retry_livekit_refuses_leaves_the_failure_recorded(db, room, livekit_server, caplog):
    recording = make_recording(db, room, retention_days=365)
    livekit_server.fail_next("StartRoomCompositeEgress", status=503, code="unavailable")

    with caplog.at_level(logging.ERROR, logger="meetings"):
        handle_egress_event(
            db=db, event=egress_event("egress_ended", recording, proto_egress.EGRESS_FAILED, room=room)
        )

    assert [row.status for row in attempts(db, room)] == [RecordingStatus.FAILED]
    assert any(record.getMessage() == "recording retry could not start" for record in caplog.records)


def test_a_failure_reported_after_the_object_landed_marks_it_failed(db, room):
    recording = make_recording(db, room, retention_days=365, status=RecordingStatus.READY, file_size_bytes=10)

    handle_egress_event(
        db=db, event=egress_event("egress_ended", recording, proto_egress.EGRESS_FAILED, room=room)
    )

    assert recording.status == RecordingStatus.FAILED


def test_events_for_purged_or_unknown_egresses_change_nothing(db, room, livekit_server, caplog):
    purged = make_recording(db, room, retention_days=365, status=RecordingStatus.PURGED)
    stranger = Recording(livekit_egress_id=f"EG_{uuid.uuid4().hex[:8]}", s3_key="none")

    with caplog.at_level(logging.WARNING, logger="meetings"):
        handle_egress_event(
            db=db, event=egress_event("egress_ended", purged, proto_egress.EGRESS_FAILED, duration_s=5)
        )
        handle_egress_event(db=db, event=egress_event("egress_ended", stranger, proto_egress.EGRESS_FAILED))

    assert (purged.status, purged.duration_seconds) == (RecordingStatus.PURGED, None)
    assert [row.id for row in attempts(db, room)] == [purged.id]
    assert any(record.getMessage() == "egress event for no recording" for record in caplog.records)


def test_non_egress_events_are_ignored(db, room):
    recording = make_recording(db, room, retention_days=365)

    handle_egress_event(db=db, event=webhook_event("room_finished", room_name=room.livekit_room_id))

    assert recording.status == RecordingStatus.PROCESSING
