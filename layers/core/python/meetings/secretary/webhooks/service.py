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
from sqlalchemy import Row
from sqlalchemy.orm import Session

from meetings.errors import Unauthorized
from meetings.livekit import EGRESS_WEBHOOK_EVENTS, LiveKitGateway
from meetings.log import logger
from meetings.meeting_protocol import participant_id_from_identity
from meetings.notifications.catalogue import EventType
from meetings.secretary.events.models import RoomEventName
from meetings.secretary.rooms.models import Room, RoomStatus
from meetings.secretary.rooms.service import mark_ended, mark_started
from meetings.secretary.webhooks.intake import Attendance, read_intake, record_receipt, write_attendance
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


FINISHED_STATUSES = frozenset({RoomStatus.COMPLETED, RoomStatus.CANCELED})


def handle_webhook(*, db: Session, event: WebhookEvent, livekit: LiveKitGateway) -> str:
    """Applies one verified event once; returns "processed", "duplicate" or "ignored"."""
    if not event.id:
        return "ignored"
    at = _event_time(event)
    if event.event in EGRESS_WEBHOOK_EVENTS:
        if not record_receipt(db, event, at):
            return "duplicate"
        _hand_to_recordings(db, event)
        return "processed"
    participant_id = participant_id_from_identity(event.participant.identity)
    intake = read_intake(db, event, at, participant_id)
    if not intake.fresh:
        return "duplicate"
    if intake.room_id is None:
        logger.info("webhook for an unknown room", extra={"event": event.event, "room_name": event.room.name})
        return "ignored"
    if event.event in ("room_started", "participant_joined") and _reopens(intake, at):
        _delete_finished_room(intake, event, livekit)
        return "processed"
    if event.event in ROOM_HANDLERS:
        ROOM_HANDLERS[event.event](db, intake, at)
    elif event.event in PARTICIPANT_HANDLERS:
        if event.event == "participant_joined" and _remove_if_not_in_room(
            intake, participant_id, event, livekit
        ):
            return "processed"
        if intake.seat_id is not None:
            PARTICIPANT_HANDLERS[event.event](db, intake, participant_id, event, at)
    else:
        return "ignored"
    db.flush()
    return "processed"


def _locked_room(db: Session, intake: Row) -> Room:
    """The event's room as a mapped object, for the rarer paths (its row is already locked)."""
    return db.get_one(Room, intake.room_id)


def _reopens(intake: Row, at: datetime) -> bool:
    """A connection to a finished room after it ended (an older event arriving late is not one)."""
    return intake.status in FINISHED_STATUSES and (
        intake.ended_at is None or at + CLOCK_SLACK >= intake.ended_at
    )


def _delete_finished_room(intake: Row, event: WebhookEvent, livekit: LiveKitGateway) -> None:
    """LiveKit re-created a room that is over (someone connected with a still valid token)."""
    livekit.delete_room(name=event.room.name)
    logger.warning(
        "finished room reopened in livekit; deleted again",
        extra={"room_id": intake.room_id, "status": intake.status, "event": event.event},
    )


def _remove_if_not_in_room(
    intake: Row, participant_id: int | None, event: WebhookEvent, livekit: LiveKitGateway
) -> bool:
    """Disconnects a platform identity that is no longer in the room; True when it did."""
    if participant_id is None or intake.seat_id is not None:
        return False
    livekit.remove_participant(room_name=event.room.name, identity=event.participant.identity)
    logger.warning(
        "participant no longer in the room connected; removed",
        extra={"room_id": intake.room_id, "participant_id": participant_id},
    )
    return True


def _hand_to_recordings(db: Session, event: WebhookEvent) -> None:
    # Imported here: recordings pull in S3, which the other events never need.
    from meetings.secretary.recordings.webhook import handle_egress_event

    handle_egress_event(db=db, event=event)


def _room_started(db: Session, intake: Row, at: datetime) -> None:
    if intake.status == RoomStatus.SCHEDULED:
        mark_started(db=db, room=_locked_room(db, intake), at=at)


def _room_finished(db: Session, intake: Row, at: datetime) -> None:
    if intake.status == RoomStatus.ACTIVE:
        mark_ended(db=db, room=_locked_room(db, intake), at=at, reason="room_finished")


def _attendance_data(participant_id: int, event: WebhookEvent, at: datetime, applied: bool) -> dict:
    return {
        "participant_id": participant_id,
        "identity": event.participant.identity,
        "occurred_at": at.isoformat(),
        "applied": applied,
    }


def _participant_joined(
    db: Session, intake: Row, participant_id: int, event: WebhookEvent, at: datetime
) -> None:
    applied = intake.left_at is None or at >= intake.left_at
    attendance = Attendance(
        event_name=RoomEventName.PARTICIPANT_JOINED,
        data=_attendance_data(participant_id, event, at, applied),
        applied=applied,
        seat_times={"joined_at": at, "left_at": None},
        connected=True,
        outbox_type=EventType.PARTICIPANT_JOINED,
        outbox_data={
            "room_id": intake.room_id,
            "participant_id": participant_id,
            "joined_at": at.isoformat(),
        },
        occurred_at=at,
    )
    write_attendance(db, intake, attendance, seats_taken_at=None)
    if applied and intake.recording:
        from meetings.secretary.recordings.service import stop_for_missing_consent

        stop_for_missing_consent(db=db, room=_locked_room(db, intake), participant_id=participant_id)
    if intake.status == RoomStatus.SCHEDULED:
        mark_started(db=db, room=_locked_room(db, intake), at=at)


def _participant_left(
    db: Session, intake: Row, participant_id: int, event: WebhookEvent, at: datetime
) -> None:
    applied = intake.left_at is None and (intake.joined_at is None or at + CLOCK_SLACK >= intake.joined_at)
    attendance = Attendance(
        event_name=RoomEventName.PARTICIPANT_LEFT,
        data=_attendance_data(participant_id, event, at, applied),
        applied=applied,
        seat_times={"left_at": at},
        connected=False,
        outbox_type=EventType.PARTICIPANT_LEFT,
        outbox_data={"room_id": intake.room_id, "participant_id": participant_id, "left_at": at.isoformat()},
        occurred_at=at,
    )
    # The last human gone (the agent holds no seat): the meeting is over.
    may_end_the_meeting = applied and intake.status == RoomStatus.ACTIVE
    others = write_attendance(
        db, intake, attendance, seats_taken_at=datetime.now(UTC) if may_end_the_meeting else None
    )
    if may_end_the_meeting and others == 0:
        mark_ended(db=db, room=_locked_room(db, intake), at=at, reason="last_participant_left")


ROOM_HANDLERS = {"room_started": _room_started, "room_finished": _room_finished}
PARTICIPANT_HANDLERS = {"participant_joined": _participant_joined, "participant_left": _participant_left}
