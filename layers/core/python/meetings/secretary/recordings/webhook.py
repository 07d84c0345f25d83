"""LiveKit egress events: the recording learns its duration, or that it failed (and is retried).

Webhooks arrive late, twice, or out of order with S3's object events, so every step looks at the row's
current state: a failure is acted on once, and a purged recording is left alone.
"""

from livekit.protocol import egress as proto_egress
from livekit.protocol.webhook import WebhookEvent
from sqlalchemy import select
from sqlalchemy.orm import Session

from meetings.errors import DomainError
from meetings.livekit import EGRESS_WEBHOOK_EVENTS
from meetings.log import logger
from meetings.notifications import outbox
from meetings.notifications.catalogue import EventType
from meetings.secretary.recordings.models import MAX_RECORDING_ATTEMPTS, Recording, RecordingStatus
from meetings.secretary.recordings.service import start_egress_attempt, was_stopped
from meetings.secretary.rooms.models import Room, RoomStatus

FAILED_STATES = frozenset({proto_egress.EGRESS_FAILED, proto_egress.EGRESS_ABORTED})
NANOSECONDS = 1_000_000_000


def handle_egress_event(*, db: Session, event: WebhookEvent) -> None:
    """Applies an egress_started/updated/ended event to its recording (flushed; the caller commits)."""
    if event.event not in EGRESS_WEBHOOK_EVENTS or not event.HasField("egress_info"):
        return
    info = event.egress_info
    recording = db.execute(
        select(Recording).where(Recording.livekit_egress_id == info.egress_id).with_for_update()
    ).scalar_one_or_none()
    context = {
        "egress_id": info.egress_id,
        "event": event.event,
        "egress_status": proto_egress.EgressStatus.Name(info.status),
    }
    if recording is None:
        logger.warning("egress event for no recording", extra=context)
        return
    context["recording_id"] = str(recording.id)
    if recording.status == RecordingStatus.PURGED:
        logger.info("egress event for a purged recording ignored", extra=context)
        return
    duration = _duration_seconds(info)
    if duration is not None and recording.duration_seconds is None:
        recording.duration_seconds = duration
    if info.status in FAILED_STATES and recording.status != RecordingStatus.FAILED:
        recording.status = RecordingStatus.FAILED
        outbox.emit_for_room(
            db=db,
            room_id=recording.room_id,
            type=EventType.RECORDING_FAILED,
            data={"recording_id": str(recording.id), "attempt": recording.attempt},
        )
        db.flush()
        logger.warning(
            "recording egress failed", extra={**context, "error": info.error, "attempt": recording.attempt}
        )
        if info.status == proto_egress.EGRESS_FAILED:
            _retry(db, recording)
    db.flush()


def _retry(db: Session, failed: Recording) -> Recording | None:
    """Starts the next attempt while the meeting is still on, unless a user stopped the recording."""
    room = db.execute(select(Room).where(Room.id == failed.room_id)).scalar_one()
    context = {"recording_id": str(failed.id), "attempt": failed.attempt, "room_id": room.id}
    if room.status != RoomStatus.ACTIVE:
        logger.info("failed recording not retried: the meeting is over", extra=context)
        return None
    if failed.attempt >= MAX_RECORDING_ATTEMPTS:
        logger.error("failed recording not retried: no attempts left", extra=context)
        return None
    if was_stopped(db=db, recording=failed):
        logger.info("failed recording not retried: a user stopped it", extra=context)
        return None
    try:
        retry = start_egress_attempt(
            db=db, room=room, attempt=failed.attempt + 1, started_by=None, retry_of=failed.id
        )
    except DomainError as exc:
        logger.error("recording retry could not start", extra={**context, "code": exc.code})
        return None
    logger.info(
        "recording retried", extra={**context, "retry_id": str(retry.id), "retry_attempt": retry.attempt}
    )
    return retry


def _duration_seconds(info: proto_egress.EgressInfo) -> int | None:
    """The recorded length LiveKit reports for the file (nanoseconds), or from the egress's own timestamps."""
    for file in [*info.file_results, *([info.file] if info.HasField("file") else [])]:
        if file.duration > 0:
            return round(file.duration / NANOSECONDS)
    if (
        info.status in (proto_egress.EGRESS_COMPLETE, proto_egress.EGRESS_LIMIT_REACHED)
        and info.ended_at > info.started_at > 0
    ):
        return round((info.ended_at - info.started_at) / NANOSECONDS)
    return None
