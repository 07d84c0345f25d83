"""A room's participants and their magic links (a UUID token valid 24 h and an 8-digit password)."""

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from meetings.errors import Conflict, NotFound
from meetings.identity.passwords import hash_password, hash_token
from meetings.identity.principal import Principal
from meetings.livekit import LiveKitGateway
from meetings.meeting_protocol import participant_identity
from meetings.secretary.participants.models import RoomParticipant
from meetings.secretary.participants.schemas import RoomParticipantAdd
from meetings.secretary.participants.service import find_or_create_participant, get_participant
from meetings.secretary.rooms.models import RoomStatus
from meetings.secretary.rooms.service import get_room
from meetings.settings import get_settings

MAGIC_LINK_VALIDITY = timedelta(hours=24)
PASSWORD_DIGITS = 8
OPEN_STATUSES = {RoomStatus.SCHEDULED, RoomStatus.ACTIVE}


@dataclass(frozen=True)
class IssuedLink:
    """A room participant with the link and password it was just given (returned once)."""

    room_participant: RoomParticipant
    magic_link_url: str = field(repr=False)  # holds the link's token
    password: str = field(repr=False)


def magic_link_url(token: str) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/join/{token}"


def new_password() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(PASSWORD_DIGITS))


def issue_magic_link(room_participant: RoomParticipant) -> IssuedLink:
    """Gives a room participant a new link and password (returned in the clear only here)."""
    token = str(uuid.UUID(bytes=secrets.token_bytes(16), version=4))
    password = new_password()
    room_participant.magic_link_token_hash = hash_token(token)
    room_participant.password_hash = hash_password(password, rounds=get_settings().bcrypt_rounds)
    room_participant.magic_link_expires_at = datetime.now(UTC) + MAGIC_LINK_VALIDITY
    room_participant.failed_attempts = 0
    room_participant.locked_until = None
    return IssuedLink(
        room_participant=room_participant, magic_link_url=magic_link_url(token), password=password
    )


def _open_room(db: Session, principal: Principal, room_id: str):
    room = get_room(db=db, principal=principal, room_id=room_id)
    if room.status not in OPEN_STATUSES:
        raise Conflict(
            "The room is over; no one can be invited.", code="room_closed", details={"status": room.status}
        )
    return room


def list_room_participants(*, db: Session, principal: Principal, room_id: str) -> Select:
    """Builds the query of the participants of a room the caller may see, in the order they were added."""
    room = get_room(db=db, principal=principal, room_id=room_id)
    return select(RoomParticipant).where(RoomParticipant.room_id == room.id).order_by(RoomParticipant.id)


def add_room_participant(
    *, db: Session, principal: Principal, room_id: str, data: RoomParticipantAdd
) -> IssuedLink:
    """Puts a participant (existing, or found again / created inline) in a room with a new magic link."""
    room = _open_room(db, principal, room_id)
    if data.participant_id is not None:
        participant = get_participant(db=db, principal=principal, participant_id=data.participant_id)
    else:
        participant = find_or_create_participant(
            db=db, principal=principal, entity_id=room.entity_id, data=data.participant
        )
    already = db.execute(
        select(RoomParticipant).where(
            RoomParticipant.room_id == room.id, RoomParticipant.participant_id == participant.id
        )
    ).scalar_one_or_none()
    if already is not None:
        raise Conflict(
            "The participant is already in this room; reissue their link instead.",
            code="participant_already_in_room",
            details={"participant_id": participant.id},
        )
    room_participant = RoomParticipant(
        room_id=room.id, participant_id=participant.id, is_organizer=data.is_organizer
    )
    issued = issue_magic_link(room_participant)
    db.add(room_participant)
    db.flush()
    return issued


def _room_participant(
    db: Session, principal: Principal, room_id: str, participant_id: int, *, open_room: bool
):
    room = (
        _open_room(db, principal, room_id)
        if open_room
        else get_room(db=db, principal=principal, room_id=room_id)
    )
    room_participant = db.execute(
        select(RoomParticipant)
        .where(RoomParticipant.room_id == room.id, RoomParticipant.participant_id == participant_id)
        .with_for_update()
    ).scalar_one_or_none()
    if room_participant is None:
        raise NotFound("The participant is not in this room.", code="room_participant_not_found")
    return room, room_participant


def reissue_magic_link(*, db: Session, principal: Principal, room_id: str, participant_id: int) -> IssuedLink:
    """Replaces a participant's link and password; the old ones stop working."""
    _, room_participant = _room_participant(db, principal, room_id, participant_id, open_room=True)
    issued = issue_magic_link(room_participant)
    db.flush()
    return issued


def remove_room_participant(
    *, db: Session, principal: Principal, room_id: str, participant_id: int, livekit: LiveKitGateway
) -> None:
    """Takes a participant out of a room and disconnects them if they are in the meeting."""
    room, room_participant = _room_participant(db, principal, room_id, participant_id, open_room=False)
    db.delete(room_participant)
    db.flush()
    if room.status == RoomStatus.ACTIVE:
        livekit.remove_participant(
            room_name=room.livekit_room_id, identity=participant_identity(participant_id)
        )
