"""The room and agent event logs: append-only, read in time order."""

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from meetings.secretary.events.models import AgentEventName, AgentSessionEvent, RoomEvent, RoomEventName


def append_room_event(*, db: Session, room_id: str, event_name: RoomEventName, data: dict) -> RoomEvent:
    """Appends one event to a room's log (flushed by the caller's commit)."""
    event = RoomEvent(room_id=room_id, event_name=event_name.value, data=data)
    db.add(event)
    return event


def append_agent_event(
    *,
    db: Session,
    room_id: str,
    event_name: AgentEventName,
    participant_id: int,
    content: str,
    metadata: dict,
) -> AgentSessionEvent:
    """Appends one event to the agent's log of a room, data `{participant_id, content, metadata}`
    (flushed by the caller's commit)."""
    event = AgentSessionEvent(
        room_id=room_id,
        event_name=event_name.value,
        data={"participant_id": participant_id, "content": content, "metadata": metadata},
    )
    db.add(event)
    return event


def room_events_query(*, room_id: str) -> Select:
    """A room's events, oldest first (for paginate())."""
    return select(RoomEvent).where(RoomEvent.room_id == room_id).order_by(RoomEvent.created_at, RoomEvent.id)


def agent_events_query(*, room_id: str) -> Select:
    """The agent's events in a room, oldest first (for paginate())."""
    return (
        select(AgentSessionEvent)
        .where(AgentSessionEvent.room_id == room_id)
        .order_by(AgentSessionEvent.created_at, AgentSessionEvent.id)
    )
