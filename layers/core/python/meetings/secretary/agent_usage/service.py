"""Agent usage rows: one per agent session in a room, opened at its start and closed at its end."""

from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.orm import Session

from meetings.errors import NotFound
from meetings.secretary.agent_usage.models import AgentUsage


def open_agent_usage(
    *,
    db: Session,
    room_id: str,
    participant_id: int,
    entity_id: int | None,
    department_id: int | None,
    data: dict,
    at: datetime,
) -> AgentUsage:
    """Opens a usage row for a new session; one this agent left open in the room (a crashed worker)
    is closed at its last write."""
    db.execute(
        update(AgentUsage)
        .where(
            AgentUsage.room_id == room_id,
            AgentUsage.participant_id == participant_id,
            AgentUsage.session_end.is_(None),
        )
        .values(session_end=func.greatest(AgentUsage.updated_at, AgentUsage.session_start))
    )
    usage = AgentUsage(
        room_id=room_id,
        participant_id=participant_id,
        entity_id=entity_id,
        department_id=department_id,
        session_start=at,
        data=data,
    )
    db.add(usage)
    db.flush()
    return usage


def record_agent_usage(
    *, db: Session, usage_id: int, data: dict, session_end: datetime | None = None
) -> None:
    """Stores a session's counters, and its end when given."""
    usage = db.get(AgentUsage, usage_id)
    if usage is None:
        raise NotFound("Agent usage not found.", code="agent_usage_not_found", details={"usage_id": usage_id})
    usage.data = data
    if session_end is not None:
        usage.session_end = session_end
    db.flush()
