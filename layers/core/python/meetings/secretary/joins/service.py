"""Joining a meeting with a magic link and its password, and ending it from inside the meeting.

A join takes one of the room's seats (`meetings.secretary.participants.seats` says who holds one).
Capacity is checked with the room row locked, so concurrent joins never admit more than
`max_participants`.
"""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from meetings.errors import Conflict, Forbidden, Gone, Locked, NotFound, Unauthorized
from meetings.identity.passwords import hash_token, verify_password
from meetings.livekit import ACCESS_TOKEN_TTL, LiveKitGateway
from meetings.manager.consent.service import current_consent_text
from meetings.manager.entities.models import Entity
from meetings.meeting_protocol import (
    ATTR_CONSENT_ASSISTANT,
    ATTR_CONSENT_RECORDING,
    ATTR_IS_ORGANIZER,
    ATTR_PARTICIPANT_ID,
    ATTR_PARTICIPANT_TYPE,
    ATTR_ROOM_ID,
    participant_identity,
)
from meetings.notifications import outbox
from meetings.notifications.catalogue import EventType
from meetings.secretary.consent import service as consent_service
from meetings.secretary.consent.models import ConsentRecord
from meetings.secretary.consent.service import record_join_consent
from meetings.secretary.events.models import RoomEventName
from meetings.secretary.events.service import append_room_event
from meetings.secretary.joins.schemas import (
    JoinConsent,
    JoinConsentText,
    JoinGrant,
    JoinLinkInfo,
    JoinParticipantInfo,
    JoinRoomInfo,
    JoinWaiting,
)
from meetings.secretary.participants.models import Admission, Participant, ParticipantType, RoomParticipant
from meetings.secretary.participants.seats import count_admitted, is_admitted
from meetings.secretary.rooms.models import Room, RoomStatus
from meetings.secretary.rooms.service import activate_room, end_room
from meetings.settings import get_settings

JOIN_WINDOW = timedelta(minutes=15)
MAX_FAILED_ATTEMPTS = 5
LOCK_DURATION = timedelta(minutes=15)
POLL_AFTER_SECONDS = 2


def now() -> datetime:
    return datetime.now(UTC)


def _find_link(db: Session, token: str, *, for_update: bool = False) -> RoomParticipant:
    try:
        canonical = str(uuid.UUID(token))
    except ValueError:
        canonical = None
    if canonical is None or canonical != token.lower():
        raise NotFound("This link does not exist.", code="link_not_found")
    statement = select(RoomParticipant).where(RoomParticipant.magic_link_token_hash == hash_token(canonical))
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    room_participant = db.execute(statement).scalar_one_or_none()
    if room_participant is None:
        raise NotFound("This link does not exist.", code="link_not_found")
    return room_participant


def _check_not_expired(room_participant: RoomParticipant, at: datetime) -> None:
    expires_at = room_participant.magic_link_expires_at
    if expires_at is None or expires_at <= at:
        raise Gone("This link has expired; ask the organizer for a new one.", code="link_expired")


def _check_room_open(room: Room, at: datetime) -> None:
    if room.status == RoomStatus.CANCELED:
        raise Conflict("This meeting was canceled.", code="room_canceled")
    if room.status == RoomStatus.COMPLETED:
        raise Conflict("This meeting is over.", code="room_completed")
    opens_at = room.scheduled_at - JOIN_WINDOW
    if at < opens_at:
        raise Conflict(
            "The meeting is not open yet.", code="too_early", details={"opens_at": opens_at.isoformat()}
        )


def _release_expired_lock(room_participant: RoomParticipant, at: datetime) -> None:
    if room_participant.locked_until is not None and room_participant.locked_until <= at:
        room_participant.locked_until = None
        room_participant.failed_attempts = 0


def is_locked(room_participant: RoomParticipant, at: datetime) -> bool:
    return room_participant.locked_until is not None and room_participant.locked_until > at


def describe_link(*, db: Session, token: str, language: str = "en") -> JoinLinkInfo:
    """What the link holder may know before entering the password: the room, their name, the lock."""
    room_participant = _find_link(db, token)
    at = now()
    _check_not_expired(room_participant, at)
    room = db.get(Room, room_participant.room_id)
    participant = db.get(Participant, room_participant.participant_id)
    locked = is_locked(room_participant, at)
    lock_over = room_participant.locked_until is not None and not locked
    attempts_left = (
        0 if locked else MAX_FAILED_ATTEMPTS - (0 if lock_over else room_participant.failed_attempts)
    )
    return JoinLinkInfo(
        room=JoinRoomInfo(
            id=room.id,
            title=room.title,
            description=room.description,
            scheduled_at=room.scheduled_at,
            status=room.status,
            join_opens_at=room.scheduled_at - JOIN_WINDOW,
        ),
        participant=JoinParticipantInfo(
            name=participant.name, type=participant.type, is_organizer=room_participant.is_organizer
        ),
        link_expires_at=room_participant.magic_link_expires_at,
        attempts_left=attempts_left,
        locked_until=room_participant.locked_until if locked else None,
        consent_text=_consent_text(db, room, language),
    )


def _consent_text(db: Session, room: Room, language: str) -> JoinConsentText | None:
    text = current_consent_text(db=db, entity_id=room.entity_id, language=language)
    return JoinConsentText.model_validate(text, from_attributes=True) if text is not None else None


def _locked_error(room_participant: RoomParticipant) -> Locked:
    return Locked(
        "Too many wrong passwords; try again later.",
        code="link_locked",
        details={"locked_until": room_participant.locked_until.isoformat()},
    )


def _apply_password_outcome(room_participant: RoomParticipant, password_ok: bool, at: datetime) -> None:
    """Counts a wrong password (locking the link at the fifth) or clears the count on a right one."""
    _release_expired_lock(room_participant, at)
    if is_locked(room_participant, at):
        raise _locked_error(room_participant)
    if password_ok:
        room_participant.failed_attempts = 0
        return
    room_participant.failed_attempts += 1
    if room_participant.failed_attempts >= MAX_FAILED_ATTEMPTS:
        room_participant.locked_until = at + LOCK_DURATION
        raise _locked_error(room_participant)
    raise Unauthorized(
        "Wrong password.",
        code="invalid_password",
        details={"attempts_left": MAX_FAILED_ATTEMPTS - room_participant.failed_attempts},
    )


def take_seat(db: Session, room: Room, room_participant: RoomParticipant, at: datetime) -> None:
    if is_admitted(room_participant, at):
        return  # a rejoin (new token, same seat)
    admitted = count_admitted(db, room.id, at, excluding=room_participant.id)
    if admitted >= room.max_participants:
        append_room_event(
            db=db,
            room_id=room.id,
            event_name=RoomEventName.CAPACITY_REACHED,
            data={
                "participant_id": room_participant.participant_id,
                "max_participants": room.max_participants,
            },
        )
        db.flush()
        raise Conflict(
            "The meeting is full.", code="room_full", details={"max_participants": room.max_participants}
        )


def waiting_room_on(db: Session, room: Room) -> bool:
    """The room's own setting, else its entity's default (rooms with no entity: off)."""
    if room.waiting_room is not None:
        return room.waiting_room
    entity = db.get(Entity, room.entity_id) if room.entity_id is not None else None
    return entity is not None and entity.waiting_room


def _must_wait(db: Session, room: Room, room_participant: RoomParticipant) -> bool:
    if room_participant.admission == Admission.ADMITTED:
        return False
    if room_participant.admission == Admission.DENIED:
        raise Forbidden("The organizer did not let you in.", code="participant_denied")
    if room_participant.is_organizer:
        return False
    participant = db.get(Participant, room_participant.participant_id)
    return participant.type == ParticipantType.CLIENT and waiting_room_on(db, room)


def _knock(db: Session, room: Room, room_participant: RoomParticipant, at: datetime) -> JoinWaiting:
    """Puts the link holder in the waiting room once (the first knock is announced, repeats are not)."""
    if room_participant.admission != Admission.WAITING:
        room_participant.admission = Admission.WAITING
        room_participant.admission_at = at
        data = {"participant_id": room_participant.participant_id, "waiting_since": at.isoformat()}
        append_room_event(db=db, room_id=room.id, event_name=RoomEventName.PARTICIPANT_WAITING, data=data)
        outbox.emit(
            db=db,
            entity_id=room.entity_id,
            type=EventType.PARTICIPANT_WAITING,
            data={"room_id": room.id, **data},
        )
        db.flush()
    return JoinWaiting(waiting_since=room_participant.admission_at, poll_after_seconds=POLL_AFTER_SECONDS)


def join_with_password(
    *,
    db: Session,
    token: str,
    password: str,
    livekit: LiveKitGateway,
    consent: JoinConsent | None = None,
    language: str = "en",
    client_address: str | None = None,
) -> JoinGrant | JoinWaiting:
    """Checks the link, the room and the password, then either puts a client in the waiting room or
    takes a seat and mints a LiveKit access token.

    bcrypt runs before any row lock; then the room row and the link row are locked in that order (the
    order every writer uses) and re-checked. A refusal may still leave changes to commit (failed
    attempt, lock, CAPACITY_REACHED event).
    """
    room_participant = _find_link(db, token)
    at = now()
    _check_not_expired(room_participant, at)
    _check_room_open(db.get(Room, room_participant.room_id), at)
    if is_locked(room_participant, at):
        raise _locked_error(room_participant)
    password_ok = verify_password(password, room_participant.password_hash or "")

    room = db.execute(
        select(Room)
        .where(Room.id == room_participant.room_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    room_participant = _find_link(db, token, for_update=True)  # reissued or removed meanwhile: 404
    _check_not_expired(room_participant, at)
    _check_room_open(room, at)
    _apply_password_outcome(room_participant, password_ok, at)
    if _must_wait(db, room, room_participant):
        return _knock(db, room, room_participant, at)
    take_seat(db, room, room_participant, at)
    if room.status == RoomStatus.SCHEDULED:
        activate_room(db=db, room=room, livekit=livekit, at=at)
    room_participant.joined_at = at
    room_participant.left_at = None
    consent = consent or JoinConsent()
    record_join_consent(
        db=db,
        room_id=room.id,
        entity_id=room.entity_id,
        participant_id=room_participant.participant_id,
        recording=consent.recording,
        assistant=consent.assistant,
        language=language,
        client_address=client_address,
    )
    db.flush()
    return _grant(db, room, room_participant, livekit, consent)


def _grant(
    db: Session, room: Room, room_participant: RoomParticipant, livekit: LiveKitGateway, consent: JoinConsent
) -> JoinGrant:
    participant = db.get(Participant, room_participant.participant_id)
    identity = participant_identity(participant.id)
    access_token = livekit.mint_access_token(
        room_name=room.livekit_room_id,
        identity=identity,
        name=participant.name,
        metadata={"participant_id": participant.id, "room_id": room.id},
        attributes={
            ATTR_PARTICIPANT_ID: str(participant.id),
            ATTR_PARTICIPANT_TYPE: participant.type.value,
            ATTR_ROOM_ID: room.id,
            ATTR_IS_ORGANIZER: "true" if room_participant.is_organizer else "false",
            ATTR_CONSENT_RECORDING: "true" if consent.recording else "false",
            ATTR_CONSENT_ASSISTANT: "true" if consent.assistant else "false",
        },
        ttl=ACCESS_TOKEN_TTL,
    )
    return JoinGrant(
        livekit_url=get_settings().livekit_url,
        access_token=access_token,
        identity=identity,
        room_name=room.livekit_room_id,
        participant_name=participant.name,
        is_organizer=room_participant.is_organizer,
        expires_in=int(ACCESS_TOKEN_TTL.total_seconds()),
    )


def organizer_room(*, db: Session, token: str, access_token: str | None, livekit: LiveKitGateway) -> Room:
    """The link's room, locked, for the organizer holding a valid meeting access token from this link.

    Authorised here, not by a LiveKit grant: the token must be this platform's, for this room and this
    link's participant, and the database must hold that participant as the room's organizer.
    """
    room_participant = _find_link(db, token)
    if not access_token:
        raise Unauthorized("The meeting access token is required.", code="not_authenticated")
    try:
        claims = livekit.verify_access_token(access_token)
    except Exception as exc:  # any verification failure (signature, expiry, shape) is a bad token
        raise Unauthorized("The meeting access token is invalid.", code="invalid_token") from exc
    room = db.execute(select(Room).where(Room.id == room_participant.room_id).with_for_update()).scalar_one()
    video = claims.video
    is_this_organizer = (
        room_participant.is_organizer
        and claims.identity == participant_identity(room_participant.participant_id)
        and video is not None
        and video.room == room.livekit_room_id
    )
    if not is_this_organizer:
        raise Forbidden("Only the organizer can do this.", code="not_organizer")
    return room


def end_room_from_meeting(
    *, db: Session, token: str, access_token: str | None, livekit: LiveKitGateway
) -> Room:
    """Ends the meeting for everyone, for the organizer holding a valid access token from this link."""
    room = organizer_room(db=db, token=token, access_token=access_token, livekit=livekit)
    return end_room(db=db, room=room, livekit=livekit, reason="ended_by_organizer")


def withdraw_assistant_consent(
    *, db: Session, token: str, access_token: str | None, livekit: LiveKitGateway, client_address: str | None
) -> ConsentRecord:
    """Withdraws the link holder's consent to the AI assistant, recorded and pushed to the room at once.

    The meeting access token must be this link's own: nobody withdraws for someone else.
    """
    room_participant = _find_link(db, token)
    if not access_token:
        raise Unauthorized("The meeting access token is required.", code="not_authenticated")
    try:
        claims = livekit.verify_access_token(access_token)
    except Exception as exc:  # any verification failure (signature, expiry, shape) is a bad token
        raise Unauthorized("The meeting access token is invalid.", code="invalid_token") from exc
    room = db.get(Room, room_participant.room_id)
    identity = participant_identity(room_participant.participant_id)
    if claims.identity != identity or claims.video is None or claims.video.room != room.livekit_room_id:
        raise Forbidden("This token is not this link's.", code="not_this_participant")
    record = consent_service.withdraw_assistant_consent(
        db=db, room_id=room.id, participant_id=room_participant.participant_id, client_address=client_address
    )
    livekit.update_participant_attributes(
        room_name=room.livekit_room_id, identity=identity, attributes={ATTR_CONSENT_ASSISTANT: "false"}
    )
    return record
