"""The meeting agent's place in each room (its participant row is the entity's, see participants.service)."""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from meetings.secretary.participants.models import RoomParticipant


def enter_room(*, db: Session, room_id: str, participant_id: int, at: datetime) -> RoomParticipant:
    """Puts a participant in a room as present from `at` (rejoining clears its `left_at`)."""
    membership = db.scalars(
        select(RoomParticipant).where(
            RoomParticipant.room_id == room_id, RoomParticipant.participant_id == participant_id
        )
    ).first()
    if membership is None:
        membership = RoomParticipant(room_id=room_id, participant_id=participant_id)
        db.add(membership)
    membership.joined_at = at
    membership.left_at = None
    db.flush()
    return membership


def leave_room(*, db: Session, room_id: str, participant_id: int, at: datetime) -> None:
    """Marks a participant gone from a room at `at`."""
    db.execute(
        update(RoomParticipant)
        .where(RoomParticipant.room_id == room_id, RoomParticipant.participant_id == participant_id)
        .values(left_at=at)
    )
