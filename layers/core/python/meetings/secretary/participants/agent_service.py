"""The meeting agent as a participant: the deployment's one AGENT row, and its place in each room."""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from meetings.secretary.participants.models import Participant, ParticipantType, RoomParticipant


def find_or_create_agent_participant(*, db: Session, name: str, phone_number: str) -> Participant:
    """The deployment's one AGENT participant, found by name and number, created on first use."""
    agent = db.scalars(
        select(Participant)
        .where(
            Participant.type == ParticipantType.AGENT,
            Participant.name == name,
            Participant.phone_number == phone_number,
        )
        .order_by(Participant.id)
        .limit(1)
    ).first()
    if agent is None:
        agent = Participant(name=name, type=ParticipantType.AGENT, phone_number=phone_number)
        db.add(agent)
        db.flush()
    return agent


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
