"""LiveKit webhooks: verified, processed once per event id, and tolerant of late or reordered events.

Each event carries its server time (`created_at`); attendance only moves forward in that time: a
participant_joined older than the participant's last leave does not reopen their seat, and a
participant_left older than their last join does not close it. Room status only follows the status
machine, so a late room_started after room_finished changes nothing.

Removal and ending are enforced here too: an access token stays valid for its whole lifetime, so a
participant removed from a room (or everyone, once the room is over) could connect again with it. A
participant_joined for a platform identity that is no longer in the room is disconnected through the
LiveKit server API; a room that connects (room_started, participant_joined) after it was COMPLETED or
CANCELED is deleted again.
"""

from datetime import UTC, datetime, timedelta

from livekit.api import TokenVerifier, WebhookReceiver
from livekit.protocol.webhook import WebhookEvent
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from meetings.errors import Unauthorized
from meetings.livekit import EGRESS_WEBHOOK_EVENTS, LiveKitGateway
from meetings.log import logger
from meetings.meeting_protocol import participant_id_from_identity
from meetings.notifications import outbox
from meetings.notifications.catalogue import EventType
from meetings.secretary.events.models import RoomEventName
from meetings.secretary.events.service import append_room_event
from meetings.secretary.participants.models import RoomParticipant
from meetings.secretary.participants.seats import count_admitted
from meetings.secretary.rooms.models import Room, RoomStatus
from meetings.secretary.rooms.service import mark_ended, mark_started
from meetings.secretary.webhooks.models import WebhookReceipt
from meetings.settings import get_settings

# Server timestamps have second resolution; an admission a moment later in the same second is not newer.
CLOCK_SLACK = timedelta(seconds=1)


def verify_webhook(*, body: str, authorization: str | None) -> WebhookEvent:
    """Checks the signature (JWT with the body's SHA-256) and parses the event."""
    settings = get_settings()
    receiver = WebhookReceiver(
        TokenVerifier(settings.livekit_api_key, settings.livekit_api_secret.get_secret_value())
    )
    if not authorization:
        raise Unauthorized("The webhook signature is missing.", code="invalid_signature")
    try:
        return receiver.receive(body, authorization)
    except Exception as exc:  # bad JWT, expired, hash mismatch or unparsable body
        raise Unauthorized("The webhook signature is not valid.", code="invalid_signature") from exc


def _event_time(event: WebhookEvent) -> datetime:
    return datetime.fromtimestamp(event.created_at, UTC) if event.created_at else datetime.now(UTC)


def _record_receipt(db: Session, event: WebhookEvent, at: datetime) -> bool:
    """Stores the event id; False when it was already processed."""
    statement = (
        insert(WebhookReceipt)
        .values(
            event_id=event.id, event_name=event.event, room_name=event.room.name or None, event_created_at=at
        )
        .on_conflict_do_nothing(index_elements=[WebhookReceipt.event_id])
        .returning(WebhookReceipt.event_id)
    )
    return db.execute(statement).scalar_one_or_none() is not None


FINISHED_STATUSES = frozenset({RoomStatus.COMPLETED, RoomStatus.CANCELED})


def handle_webhook(*, db: Session, event: WebhookEvent, livekit: LiveKitGateway) -> str:
    """Applies one verified event once; returns "processed", "duplicate" or "ignored"."""
    if not event.id:
        return "ignored"
    at = _event_time(event)
    if not _record_receipt(db, event, at):
        return "duplicate"
    if event.event in EGRESS_WEBHOOK_EVENTS:
        _hand_to_recordings(db, event)
        return "processed"
    room = (
        db.execute(
            select(Room).where(Room.livekit_room_id == event.room.name).with_for_update()
        ).scalar_one_or_none()
        if event.room.name
        else None
    )
    if room is None:
        logger.info("webhook for an unknown room", extra={"event": event.event, "room_name": event.room.name})
        return "ignored"
    if event.event in ("room_started", "participant_joined") and _reopens(room, at):
        _delete_finished_room(room, event, livekit)
        return "processed"
    if event.event in ROOM_HANDLERS:
        ROOM_HANDLERS[event.event](db, room, at)
    elif event.event in PARTICIPANT_HANDLERS:
        room_participant = _room_participant(db, room, event)  # locked, and read once for the event
        if event.event == "participant_joined" and _remove_if_not_in_room(
            room, room_participant, event, livekit
        ):
            return "processed"
        if room_participant is not None:
            PARTICIPANT_HANDLERS[event.event](db, room, room_participant, event, at)
    else:
        return "ignored"
    db.flush()
    return "processed"


def _reopens(room: Room, at: datetime) -> bool:
    """A connection to a finished room after it ended (an older event arriving late is not one)."""
    return room.status in FINISHED_STATUSES and (room.ended_at is None or at + CLOCK_SLACK >= room.ended_at)


def _delete_finished_room(room: Room, event: WebhookEvent, livekit: LiveKitGateway) -> None:
    """LiveKit re-created a room that is over (someone connected with a still valid token)."""
    livekit.delete_room(name=room.livekit_room_id)
    logger.warning(
        "finished room reopened in livekit; deleted again",
        extra={"room_id": room.id, "status": room.status, "event": event.event},
    )


def _remove_if_not_in_room(
    room: Room, room_participant: RoomParticipant | None, event: WebhookEvent, livekit: LiveKitGateway
) -> bool:
    """Disconnects a platform identity that is no longer in the room; True when it did."""
    participant_id = participant_id_from_identity(event.participant.identity)
    if participant_id is None or room_participant is not None:
        return False
    livekit.remove_participant(room_name=room.livekit_room_id, identity=event.participant.identity)
    logger.warning(
        "participant no longer in the room connected; removed",
        extra={"room_id": room.id, "participant_id": participant_id},
    )
    return True


def _hand_to_recordings(db: Session, event: WebhookEvent) -> None:
    # Imported here: recordings pull in S3, which the other events never need.
    from meetings.secretary.recordings.webhook import handle_egress_event

    handle_egress_event(db=db, event=event)


def _room_started(db: Session, room: Room, at: datetime) -> None:
    mark_started(db=db, room=room, at=at)


def _room_finished(db: Session, room: Room, at: datetime) -> None:
    if room.status == RoomStatus.ACTIVE:
        mark_ended(db=db, room=room, at=at, reason="room_finished")


def _room_participant(db: Session, room: Room, event: WebhookEvent) -> RoomParticipant | None:
    participant_id = participant_id_from_identity(event.participant.identity)
    if participant_id is None:
        return None  # the agent or another non-platform identity
    return db.execute(
        select(RoomParticipant)
        .where(RoomParticipant.room_id == room.id, RoomParticipant.participant_id == participant_id)
        .with_for_update()
    ).scalar_one_or_none()


def _attendance_data(
    room_participant: RoomParticipant, event: WebhookEvent, at: datetime, applied: bool
) -> dict:
    return {
        "participant_id": room_participant.participant_id,
        "identity": event.participant.identity,
        "occurred_at": at.isoformat(),
        "applied": applied,
    }


def _emit_attendance(
    db: Session, room: Room, room_participant: RoomParticipant, type: EventType, field: str, at: datetime
) -> None:
    data = {"room_id": room.id, "participant_id": room_participant.participant_id, field: at.isoformat()}
    outbox.emit(db=db, entity_id=room.entity_id, type=type, data=data, occurred_at=at)


def _participant_joined(
    db: Session, room: Room, room_participant: RoomParticipant, event: WebhookEvent, at: datetime
) -> None:
    left_at = room_participant.left_at
    applied = left_at is None or at >= left_at
    if applied:
        room_participant.joined_at = at
        room_participant.left_at = None
        room_participant.context = {**room_participant.context, "connected": True}
        _emit_attendance(db, room, room_participant, EventType.PARTICIPANT_JOINED, "joined_at", at)
        from meetings.secretary.recordings.service import stop_for_missing_consent

        stop_for_missing_consent(db=db, room=room, participant_id=room_participant.participant_id)
    append_room_event(
        db=db,
        room_id=room.id,
        event_name=RoomEventName.PARTICIPANT_JOINED,
        data=_attendance_data(room_participant, event, at, applied),
    )
    mark_started(db=db, room=room, at=at)


def _participant_left(
    db: Session, room: Room, room_participant: RoomParticipant, event: WebhookEvent, at: datetime
) -> None:
    joined_at = room_participant.joined_at
    applied = room_participant.left_at is None and (joined_at is None or at + CLOCK_SLACK >= joined_at)
    if applied:
        room_participant.left_at = at
        room_participant.context = {**room_participant.context, "connected": False}
        _emit_attendance(db, room, room_participant, EventType.PARTICIPANT_LEFT, "left_at", at)
    append_room_event(
        db=db,
        room_id=room.id,
        event_name=RoomEventName.PARTICIPANT_LEFT,
        data=_attendance_data(room_participant, event, at, applied),
    )
    db.flush()
    # The last human gone (the agent holds no seat): the meeting is over.
    if applied and room.status == RoomStatus.ACTIVE and count_admitted(db, room.id, datetime.now(UTC)) == 0:
        mark_ended(db=db, room=room, at=at, reason="last_participant_left")


ROOM_HANDLERS = {"room_started": _room_started, "room_finished": _room_finished}
PARTICIPANT_HANDLERS = {"participant_joined": _participant_joined, "participant_left": _participant_left}
