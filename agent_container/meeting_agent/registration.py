"""The agent's presence in the database: its participant, its place in the room, AGENT_JOINED and
an open `agent_usage` row; on the way out AGENT_LEFT and `session_end`."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from meetings.errors import NotFound
from meetings.secretary.agent_usage.models import AgentUsage
from meetings.secretary.events.models import AgentEventName
from meetings.secretary.events.service import append_agent_event
from meetings.secretary.participants.models import RoomParticipant
from meetings.secretary.participants.service import find_or_create_agent_participant
from meetings.secretary.rooms.models import Room
from meetings.secretary.rooms.service import composed_instructions

from .instructions import MeetingContext


@dataclass(frozen=True)
class Registration:
    participant_id: int
    usage_id: int
    session_start: datetime


def load_meeting_context(*, db: Session, room_id: str) -> MeetingContext:
    """Reads the room and its composed instructions (entity, department, room prompt)."""
    room = db.get(Room, room_id)
    if room is None:
        raise NotFound("Room not found.", code="room_not_found", details={"room_id": room_id})
    return MeetingContext(
        room_id=room.id,
        livekit_room=room.livekit_room_id,
        title=room.title,
        entity_id=room.entity_id,
        department_id=room.department_id,
        instructions=composed_instructions(db=db, room=room),
    )


def register_agent(
    *, db: Session, context: MeetingContext, name: str, phone_number: str, usage_data: dict
) -> Registration:
    """Joins the agent to the room: participant row, AGENT_JOINED and an open usage record.

    A usage row this agent left open in the same room (a crashed worker) is closed at its last flush.
    """
    now = datetime.now(UTC)
    agent = find_or_create_agent_participant(
        db=db, entity_id=context.entity_id, name=name, phone_number=phone_number
    )
    membership = db.scalars(
        select(RoomParticipant).where(
            RoomParticipant.room_id == context.room_id, RoomParticipant.participant_id == agent.id
        )
    ).first()
    if membership is None:
        membership = RoomParticipant(room_id=context.room_id, participant_id=agent.id)
        db.add(membership)
    membership.joined_at = now
    membership.left_at = None
    db.execute(
        update(AgentUsage)
        .where(
            AgentUsage.room_id == context.room_id,
            AgentUsage.participant_id == agent.id,
            AgentUsage.session_end.is_(None),
        )
        .values(session_end=func.greatest(AgentUsage.updated_at, AgentUsage.session_start))
    )
    usage = AgentUsage(
        room_id=context.room_id,
        participant_id=agent.id,
        entity_id=context.entity_id,
        department_id=context.department_id,
        session_start=now,
        data=usage_data,
    )
    db.add(usage)
    append_agent_event(
        db=db,
        room_id=context.room_id,
        event_name=AgentEventName.AGENT_JOINED,
        participant_id=agent.id,
        content=f"{name} joined the meeting",
        metadata={
            "livekit_room": context.livekit_room,
            "entity_id": context.entity_id,
            "department_id": context.department_id,
        },
    )
    db.flush()
    return Registration(participant_id=agent.id, usage_id=usage.id, session_start=now)


def unregister_agent(*, db: Session, room_id: str, registration: Registration, reason: str) -> None:
    """Marks the agent gone from the room and logs AGENT_LEFT (the usage row is closed by the recorder)."""
    db.execute(
        update(RoomParticipant)
        .where(
            RoomParticipant.room_id == room_id, RoomParticipant.participant_id == registration.participant_id
        )
        .values(left_at=datetime.now(UTC))
    )
    append_agent_event(
        db=db,
        room_id=room_id,
        event_name=AgentEventName.AGENT_LEFT,
        participant_id=registration.participant_id,
        content="The assistant left the meeting",
        metadata={"reason": reason},
    )
    db.flush()
