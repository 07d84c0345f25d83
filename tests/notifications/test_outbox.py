"""Events enter the outbox in the transaction of the change that caused them, from each service."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from livekit.protocol import egress as proto_egress
from sqlalchemy import select

from devserver.livekit_webhooks import webhook_event
from meetings.identity.principal import Principal
from meetings.notifications.catalogue import EventType
from meetings.notifications.models import WebhookDelivery, WebhookMessage
from meetings.notifications.outbox import emit
from meetings.secretary.recordings.finalize import StoredObject, finalize_recording_object
from meetings.secretary.recordings.models import RecordingStatus
from meetings.secretary.recordings.purge import purge_due_recordings
from meetings.secretary.recordings.webhook import handle_egress_event
from meetings.secretary.rooms.models import RoomStatus
from meetings.secretary.rooms.schemas import RoomCreate
from meetings.secretary.rooms.service import (
    cancel_room,
    cancel_scheduled_rooms_of_entity,
    create_room,
    mark_ended,
    mark_started,
)
from meetings.secretary.webhooks.service import handle_webhook
from tests.factories import make_room
from tests.notifications.conftest import make_endpoint
from tests.recordings.support import make_due_recording, make_recording
from tests.secretary.helpers import add_to_room
from tests.support.statements import counted_statements

NOW = datetime.now(UTC)


@pytest.fixture
def listening(db, clinic):
    return make_endpoint(db, clinic.entity, "https://ehr.example.com/hooks")


def messages(db) -> list[tuple[str, dict]]:
    db.flush()
    rows = db.execute(select(WebhookMessage).order_by(WebhookMessage.created_at, WebhookMessage.occurred_at))
    return [(message.type, message.data) for message in rows.scalars()]


def types(db) -> list[str]:
    return [type for type, _ in messages(db)]


def principal_of(user) -> Principal:
    return Principal(user_id=user.id, role=user.role, entity_id=user.entity_id)


def test_an_event_rolled_back_with_its_change_leaves_nothing(db, clinic, listening):
    savepoint = db.begin_nested()
    emit(db=db, entity_id=clinic.entity.id, type=EventType.ROOM_STARTED, data={"room_id": "r"})
    savepoint.rollback()
    assert messages(db) == []
    emit(db=db, entity_id=clinic.entity.id, type=EventType.ROOM_STARTED, data={"room_id": "r"})
    assert messages(db) == [("room.started", {"entity_id": clinic.entity.id, "room_id": "r"})]
    assert db.execute(select(WebhookDelivery.endpoint_id)).scalars().all() == [listening.id]


def test_nothing_is_written_when_no_endpoint_wants_the_event(db, clinic, other_clinic):
    make_endpoint(db, clinic.entity, "https://a.example.com", types=[EventType.ROOM_ENDED])
    make_endpoint(db, clinic.entity, "https://b.example.com", enabled=False)
    make_endpoint(db, other_clinic.entity, "https://c.example.com")
    emit(db=db, entity_id=clinic.entity.id, type=EventType.ROOM_STARTED, data={"room_id": "r"})
    emit(db=db, entity_id=None, type=EventType.ROOM_STARTED, data={"room_id": "independent"})
    assert messages(db) == []


def test_room_lifecycle_events(db, clinic, listening):
    room = create_room(
        db=db,
        principal=principal_of(clinic.admin),
        data=RoomCreate(title="Follow-up", scheduled_at=NOW + timedelta(days=1)),
    )
    mark_started(db=db, room=room, at=NOW)
    mark_ended(db=db, room=room, at=NOW + timedelta(minutes=30), reason="ended_by_organizer")
    other = make_room(db, entity=clinic.entity)
    cancel_room(db=db, principal=principal_of(clinic.admin), room_id=other.id, livekit=None)

    by_type = dict(messages(db))
    entity_id = clinic.entity.id
    assert sorted(by_type) == ["room.canceled", "room.ended", "room.scheduled", "room.started"]
    assert by_type["room.scheduled"] == {
        "entity_id": entity_id,
        "room_id": room.id,
        "scheduled_at": room.scheduled_at.isoformat(),
    }
    assert by_type["room.started"] == {
        "entity_id": entity_id,
        "room_id": room.id,
        "started_at": NOW.isoformat(),
    }
    assert by_type["room.ended"] == {
        "entity_id": entity_id,
        "room_id": room.id,
        "ended_at": (NOW + timedelta(minutes=30)).isoformat(),
        "reason": "ended_by_organizer",
    }
    assert by_type["room.canceled"]["room_id"] == other.id and "canceled_at" in by_type["room.canceled"]


def test_deleting_an_entity_announces_each_room_it_cancels(db, clinic, listening):
    scheduled = [make_room(db, entity=clinic.entity) for _ in range(2)]
    make_room(db, entity=clinic.entity, status=RoomStatus.ACTIVE)  # a meeting in progress stays

    assert cancel_scheduled_rooms_of_entity(db=db, entity_id=clinic.entity.id) == 2

    assert sorted((type, data["room_id"]) for type, data in messages(db)) == sorted(
        ("room.canceled", room.id) for room in scheduled
    )


def test_a_join_and_a_leave_each_cost_two_statements_their_outbox_events_included(db, clinic, listening):
    room = make_room(db, entity=clinic.entity, status=RoomStatus.ACTIVE)
    organizer, guest = add_to_room(db, room), add_to_room(db, room)
    at = int(NOW.timestamp())
    for seat in (organizer, guest):
        identity = f"participant-{seat.participant_id}"
        event = webhook_event(
            "participant_joined", room_name=room.livekit_room_id, identity=identity, created_at=at
        )
        handle_webhook(db=db, event=event, livekit=None)
    left = webhook_event(
        "participant_left",
        room_name=room.livekit_room_id,
        identity=f"participant-{guest.participant_id}",
        created_at=at + 60,
    )
    joined_again = webhook_event(
        "participant_joined",
        room_name=room.livekit_room_id,
        identity=f"participant-{guest.participant_id}",
        created_at=at + 90,
    )
    for event in (left, joined_again):
        with counted_statements(db) as statements:
            assert handle_webhook(db=db, event=event, livekit=None) == "processed"
        # The receipt with the locked room and seat, then the seat, the room event and the outbox event.
        assert len(statements) == 2, statements

    assert types(db) == ["participant.joined"] * 2 + ["participant.left", "participant.joined"]
    db.refresh(guest)
    assert (guest.left_at, guest.context["connected"]) == (None, True)


def test_livekit_attendance_events(db, clinic, listening):
    room = make_room(db, entity=clinic.entity)
    seat = add_to_room(db, room)
    identity = f"participant-{seat.participant_id}"
    at = int(NOW.timestamp())
    for name, offset in [("participant_joined", 0), ("participant_left", 60), ("participant_joined", 30)]:
        handle_webhook(
            db=db,
            event=webhook_event(
                name, room_name=room.livekit_room_id, identity=identity, created_at=at + offset
            ),
            livekit=None,  # none of these events calls LiveKit (the late join is older than the end)
        )

    # The last leave ends the meeting; the late join (older than the leave) is not an attendance change.
    assert sorted(types(db)) == ["participant.joined", "participant.left", "room.ended", "room.started"]
    by_type = dict(messages(db))
    joined, left = by_type["participant.joined"], by_type["participant.left"]
    assert joined["participant_id"] == left["participant_id"] == seat.participant_id
    assert (joined["room_id"], "joined_at" in joined, "left_at" in left) == (room.id, True, True)


def test_recording_events(db, clinic, listening, s3):
    room = make_room(db, entity=clinic.entity, status=RoomStatus.ACTIVE)
    ready = make_recording(db, room, bucket=s3.bucket)
    s3.put_object(Bucket=s3.bucket, Key=ready.s3_key, Body=b"mp4")
    finalize_recording_object(db=db, s3=s3, stored=StoredObject(bucket=s3.bucket, key=ready.s3_key))
    aborted = make_recording(db, room, bucket=s3.bucket)
    info = proto_egress.EgressInfo(egress_id=aborted.livekit_egress_id, status=proto_egress.EGRESS_ABORTED)
    handle_egress_event(
        db=db, event=webhook_event("egress_ended", room_name=room.livekit_room_id, egress_info=info)
    )

    assert messages(db) == [
        (
            "recording.ready",
            {"entity_id": clinic.entity.id, "room_id": room.id, "recording_id": str(ready.id)},
        ),
        (
            "recording.failed",
            {
                "entity_id": clinic.entity.id,
                "room_id": room.id,
                "recording_id": str(aborted.id),
                "attempt": 1,
            },
        ),
    ]


def test_the_purge_announces_each_recording_and_a_summary_per_entity(db, clinic, other_clinic, listening, s3):
    room = make_room(db, entity=clinic.entity, status=RoomStatus.ACTIVE)
    due = [make_due_recording(db, room, bucket=s3.bucket) for _ in range(2)]
    make_due_recording(
        db, make_room(db, entity=other_clinic.entity, status=RoomStatus.ACTIVE), bucket=s3.bucket
    )
    make_due_recording(db, make_room(db, status=RoomStatus.ACTIVE), bucket=s3.bucket)  # independent

    assert purge_due_recordings(db=db, s3=s3).purged == 4

    assert sorted(messages(db), key=str) == sorted(
        [
            *(
                (
                    "recording.purged",
                    {"entity_id": clinic.entity.id, "room_id": room.id, "recording_id": str(r.id)},
                )
                for r in due
            ),
            ("retention.purged", {"entity_id": clinic.entity.id, "resource": "recordings", "count": 2}),
        ],
        key=str,
    )


def test_a_recording_that_is_already_failed_is_not_announced_again(db, clinic, listening, s3):
    room = make_room(db, entity=clinic.entity, status=RoomStatus.ACTIVE)
    failed = make_recording(db, room, bucket=s3.bucket, status=RecordingStatus.FAILED)
    info = proto_egress.EgressInfo(egress_id=failed.livekit_egress_id, status=proto_egress.EGRESS_ABORTED)
    handle_egress_event(
        db=db,
        event=webhook_event(
            "egress_ended",
            room_name=room.livekit_room_id,
            egress_info=info,
            event_id=f"EV_{uuid.uuid4().hex}",
        ),
    )
    assert messages(db) == []
