"""Recordings of a meeting: started and stopped by backoffice users, read with a short-lived download link.

A recording row is written only by the platform (egress, finalization, purge); no use case edits or
deletes one on a user's behalf.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from meetings.errors import Conflict, NotFound
from meetings.identity.principal import Principal
from meetings.log import logger
from meetings.manager.entities.models import Entity
from meetings.s3_layout import RECORDINGS_PREFIX
from meetings.secretary.events.models import RoomEvent, RoomEventName
from meetings.secretary.events.service import append_room_event
from meetings.secretary.participants.models import Participant
from meetings.secretary.participants.seats import admitted_participant_ids
from meetings.secretary.recordings.models import Recording, RecordingStatus, running_in_room
from meetings.secretary.rooms.models import Room, RoomStatus
from meetings.secretary.rooms.service import get_room
from meetings.settings import get_settings
from meetings.storage import s3_client

INDEPENDENT_RETENTION_DAYS = 30
INDEPENDENT_KEY_SEGMENT = "independent"
DOWNLOAD_URL_TTL_SECONDS = 300


@dataclass(frozen=True)
class DownloadLink:
    url: str
    expires_at: datetime


def recording_key(*, entity_id: int | None, room_id: str, recording_id: uuid.UUID) -> str:
    """The object key naming entity, room and recording: recordings/{entity|independent}/{room}/{id}.mp4."""
    owner = str(entity_id) if entity_id is not None else INDEPENDENT_KEY_SEGMENT
    return f"{RECORDINGS_PREFIX}{owner}/{room_id}/{recording_id}.mp4"


def start_recording(*, db: Session, principal: Principal, room_id: str) -> Recording:
    """Starts recording an ACTIVE room with a new egress (one recording at a time per room)."""
    room = get_room(db=db, principal=principal, room_id=room_id, for_update=True)
    if room.status != RoomStatus.ACTIVE:
        raise Conflict(
            "Only an active meeting can be recorded.",
            code="room_not_active",
            details={"status": room.status.value},
        )
    _check_recording_consent(db, room)
    from meetings.secretary.recordings import egress  # the LiveKit SDK, only when recording

    if egress.room_has_running_egress(room_name=room.livekit_room_id):
        raise Conflict("This meeting is already being recorded.", code="recording_in_progress")
    return start_egress_attempt(db=db, room=room, attempt=1, started_by=principal.user_id)


def _check_recording_consent(db: Session, room: Room) -> None:
    """409 consent_missing, naming them, while anyone present has not said yes to recording."""
    from meetings.secretary.consent.service import without_recording_consent

    present = admitted_participant_ids(db, room.id, datetime.now(UTC))
    missing = without_recording_consent(db=db, room_id=room.id, participant_ids=present)
    if missing:
        names = dict(
            db.execute(select(Participant.id, Participant.name).where(Participant.id.in_(missing))).all()
        )
        raise Conflict(
            "Someone in the meeting has not consented to recording.",
            code="consent_missing",
            details={"participants": [{"participant_id": pid, "name": names.get(pid)} for pid in missing]},
        )


def start_egress_attempt(
    *, db: Session, room: Room, attempt: int, started_by: int | None, retry_of: uuid.UUID | None = None
) -> Recording:
    """Starts one egress into the recordings bucket and records it as a PROCESSING recording."""
    recording_id = uuid.uuid4()
    bucket = get_settings().recordings_bucket
    key = recording_key(entity_id=room.entity_id, room_id=room.id, recording_id=recording_id)
    from meetings.secretary.recordings import egress

    egress_id = egress.start_recording_egress(
        room_name=room.livekit_room_id, destination=egress.EgressDestination(bucket=bucket, key=key)
    )
    recording = Recording(
        id=recording_id,
        room_id=room.id,
        livekit_egress_id=egress_id,
        s3_bucket=bucket,
        s3_key=key,
        retention_days=_retention_days(db, room.entity_id),
        attempt=attempt,
    )
    db.add(recording)
    db.flush()
    db.refresh(recording)  # purge_at comes from the database trigger
    data = {
        "recording_id": str(recording_id),
        "attempt": attempt,
        "egress_id": egress_id,
        "started_by": started_by,
    }
    if retry_of is not None:
        data["retry_of"] = str(retry_of)
    append_room_event(db=db, room_id=room.id, event_name=RoomEventName.RECORDING_STARTED, data=data)
    db.flush()
    return recording


def stop_recording(*, db: Session, principal: Principal, recording_id: uuid.UUID) -> Recording:
    """Stops a running recording; LiveKit finishes and uploads the file, which finalization then picks up."""
    recording = _visible_recording(db, principal, recording_id, lock=True)
    if recording.status != RecordingStatus.PROCESSING or recording.duration_seconds is not None:
        raise Conflict(
            "This recording is not running.",
            code="recording_not_running",
            details={"status": recording.status.value},
        )
    if was_stopped(db=db, recording=recording):
        raise Conflict("This recording was already stopped.", code="recording_already_stopped")
    from meetings.secretary.recordings import egress

    egress.stop_recording_egress(egress_id=recording.livekit_egress_id)
    append_room_event(
        db=db,
        room_id=recording.room_id,
        event_name=RoomEventName.RECORDING_STOPPED,
        data={
            "recording_id": str(recording.id),
            "attempt": recording.attempt,
            "egress_id": recording.livekit_egress_id,
            "stopped_by": principal.user_id,
        },
    )
    db.flush()
    return recording


def stop_for_missing_consent(*, db: Session, room: Room, participant_id: int) -> list[Recording]:
    """Stops the room's running recordings when a participant without recording consent joins."""
    from meetings.secretary.consent.service import without_recording_consent

    still_recording = running_in_room(room.id)
    # Most joins happen with nothing being recorded: one indexed look before the consent is read.
    if db.scalar(select(exists().where(*still_recording))) is not True:
        return []
    if not without_recording_consent(db=db, room_id=room.id, participant_ids=[participant_id]):
        return []
    running = db.scalars(select(Recording).where(*still_recording).with_for_update()).all()
    stopped = []
    for recording in running:
        if was_stopped(db=db, recording=recording):
            continue
        from meetings.secretary.recordings import egress

        try:
            egress.stop_recording_egress(egress_id=recording.livekit_egress_id)
        except Conflict as exc:
            if exc.code != egress.EGRESS_GONE:
                raise
            # Already ended on LiveKit's side: nothing is being recorded any more. Any other failure
            # (LiveKit unreachable or refusing) propagates: the webhook answers 502 and its whole
            # transaction rolls back, so LiveKit's redelivery stops the recording then.
            logger.warning("egress already ended", extra={"recording_id": str(recording.id)})
        append_room_event(
            db=db,
            room_id=room.id,
            event_name=RoomEventName.RECORDING_STOPPED,
            data={
                "recording_id": str(recording.id),
                "attempt": recording.attempt,
                "egress_id": recording.livekit_egress_id,
                "stopped_by": None,
                "reason": "consent_missing",
                "participant_id": participant_id,
            },
        )
        stopped.append(recording)
    db.flush()
    return stopped


def room_recordings_query(*, db: Session, principal: Principal, room_id: str) -> Select:
    """A visible room's recordings, every attempt included, oldest first (for paginate())."""
    get_room(db=db, principal=principal, room_id=room_id)
    return (
        select(Recording)
        .where(Recording.room_id == room_id)
        .order_by(Recording.created_at, Recording.attempt, Recording.id)
    )


def get_recording(*, db: Session, principal: Principal, recording_id: uuid.UUID) -> Recording:
    """Returns a recording of a room the caller may see."""
    return _visible_recording(db, principal, recording_id)


def download_link(*, recording: Recording) -> DownloadLink | None:
    """A presigned GET URL valid for a few minutes, only while the recording is READY."""
    if recording.status != RecordingStatus.READY:
        return None
    expires_at = datetime.now(UTC) + timedelta(seconds=DOWNLOAD_URL_TTL_SECONDS)
    url = s3_client().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": recording.s3_bucket,
            "Key": recording.s3_key,
            "ResponseContentType": "video/mp4",
            "ResponseContentDisposition": f'attachment; filename="{recording.id}.{recording.format}"',
        },
        ExpiresIn=DOWNLOAD_URL_TTL_SECONDS,
    )
    return DownloadLink(url=url, expires_at=expires_at)


def was_stopped(*, db: Session, recording: Recording) -> bool:
    """Whether a user stopped this recording (its RECORDING_STOPPED event exists)."""
    return db.execute(
        select(
            exists().where(
                RoomEvent.room_id == recording.room_id,
                RoomEvent.event_name == RoomEventName.RECORDING_STOPPED.value,
                RoomEvent.data["recording_id"].astext == str(recording.id),
            )
        )
    ).scalar_one()


def _retention_days(db: Session, entity_id: int | None) -> int:
    if entity_id is None:
        return INDEPENDENT_RETENTION_DAYS
    return db.execute(select(Entity.recording_retention_days).where(Entity.id == entity_id)).scalar_one()


def _visible_recording(
    db: Session, principal: Principal, recording_id: uuid.UUID, *, lock: bool = False
) -> Recording:
    statement = (
        select(Recording, Room.entity_id)
        .join(Room, Room.id == Recording.room_id)
        .where(Recording.id == recording_id)
    )
    if lock:
        statement = statement.with_for_update(of=Recording)
    row = db.execute(statement).one_or_none()
    if row is None or not principal.can_access_entity(row.entity_id):
        raise NotFound(
            "Recording not found.", code="recording_not_found", details={"recording_id": str(recording_id)}
        )
    return row.Recording
