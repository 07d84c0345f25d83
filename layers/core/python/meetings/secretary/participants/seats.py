"""A room's seats. A participant is *admitted* (holds one of the seats) from a successful join until they
leave: `joined_at` is set and `left_at` is not, and either LiveKit confirmed the connection (webhook
participant_joined) or the join is younger than the access token's lifetime. A token that is never used
so frees its seat when it expires. The meeting agent's own row (written when it registers in the room)
never holds a seat: the LiveKit room has one place more than the room's seats for it."""

from datetime import datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from meetings.livekit import ACCESS_TOKEN_TTL
from meetings.secretary.participants.models import Participant, ParticipantType, RoomParticipant

ADMISSION_HOLD = ACCESS_TOKEN_TTL


def is_admitted(room_participant: RoomParticipant, at: datetime) -> bool:
    if room_participant.joined_at is None or room_participant.left_at is not None:
        return False
    return (
        bool(room_participant.context.get("connected")) or room_participant.joined_at >= at - ADMISSION_HOLD
    )


def holding_a_seat(room_id: str, at: datetime) -> list:
    return [
        RoomParticipant.room_id == room_id,
        ~exists().where(
            Participant.id == RoomParticipant.participant_id, Participant.type == ParticipantType.AGENT
        ),
        RoomParticipant.joined_at.is_not(None),
        RoomParticipant.left_at.is_(None),
        or_(
            RoomParticipant.joined_at >= at - ADMISSION_HOLD,
            RoomParticipant.context["connected"].as_boolean().is_(True),
        ),
    ]


def count_admitted(db: Session, room_id: str, at: datetime, *, excluding: int | None = None) -> int:
    """How many seats of a room are taken at `at`."""
    statement = select(func.count()).where(*holding_a_seat(room_id, at))
    if excluding is not None:
        statement = statement.where(RoomParticipant.id != excluding)
    return db.execute(statement).scalar_one()


def admitted_participant_ids(db: Session, room_id: str, at: datetime) -> list[int]:
    """The participants holding a seat of the room at `at`."""
    return list(db.scalars(select(RoomParticipant.participant_id).where(*holding_a_seat(room_id, at))))
