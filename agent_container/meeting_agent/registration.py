"""The agent's presence in the database, composed from the domain services: its participant, its place
in the room, AGENT_JOINED and an open usage row; on the way out AGENT_LEFT and the room left."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from meetings.errors import NotFound
from meetings.secretary.agent_usage.service import open_agent_usage
from meetings.secretary.events.models import AgentEventName
from meetings.secretary.events.service import append_agent_event
from meetings.secretary.participants.agent_service import enter_room, leave_room
from meetings.secretary.participants.service import find_or_create_agent_participant
from meetings.secretary.rooms.instructions import composed_instructions
from meetings.secretary.rooms.models import Room

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
        started_at=room.started_at,
    )


def register_agent(
    *, db: Session, context: MeetingContext, name: str, phone_number: str, usage_data: dict
) -> Registration:
    """Joins the agent to the room: participant row, AGENT_JOINED and an open usage record."""
    now = datetime.now(UTC)
    agent = find_or_create_agent_participant(
        db=db, entity_id=context.entity_id, name=name, phone_number=phone_number
    )
    enter_room(db=db, room_id=context.room_id, participant_id=agent.id, at=now)
    usage = open_agent_usage(
        db=db,
        room_id=context.room_id,
        participant_id=agent.id,
        entity_id=context.entity_id,
        department_id=context.department_id,
        data=usage_data,
        at=now,
    )
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
    leave_room(db=db, room_id=room_id, participant_id=registration.participant_id, at=datetime.now(UTC))
    append_agent_event(
        db=db,
        room_id=room_id,
        event_name=AgentEventName.AGENT_LEFT,
        participant_id=registration.participant_id,
        content="The assistant left the meeting",
        metadata={"reason": reason},
    )
    db.flush()
