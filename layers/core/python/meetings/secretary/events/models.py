import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

import meetings.secretary.rooms.models  # noqa: F401  (a foreign key's table, which a flush resolves)
from meetings.constraints import one_of
from meetings.db import Base, created_at_column


class RoomEventName(enum.StrEnum):
    ROOM_CREATED = "ROOM_CREATED"
    ROOM_STARTED = "ROOM_STARTED"
    ROOM_ENDED = "ROOM_ENDED"
    PARTICIPANT_JOINED = "PARTICIPANT_JOINED"
    PARTICIPANT_LEFT = "PARTICIPANT_LEFT"
    CAPACITY_REACHED = "CAPACITY_REACHED"
    RECORDING_STARTED = "RECORDING_STARTED"
    RECORDING_STOPPED = "RECORDING_STOPPED"
    PARTICIPANT_WAITING = "PARTICIPANT_WAITING"
    PARTICIPANT_ADMITTED = "PARTICIPANT_ADMITTED"
    PARTICIPANT_DENIED = "PARTICIPANT_DENIED"
    RETENTION_PURGED = "RETENTION_PURGED"
    NOTE_DRAFTED = "NOTE_DRAFTED"
    NOTE_FAILED = "NOTE_FAILED"
    NOTE_EDITED = "NOTE_EDITED"
    NOTE_SIGNED = "NOTE_SIGNED"
    NOTE_AMENDED = "NOTE_AMENDED"


class AgentEventName(enum.StrEnum):
    AGENT_JOINED = "AGENT_JOINED"
    AGENT_LEFT = "AGENT_LEFT"
    SUGGESTION_PROVIDED = "SUGGESTION_PROVIDED"
    QUESTION_ANSWERED = "QUESTION_ANSWERED"
    CONTEXT_RETRIEVED = "CONTEXT_RETRIEVED"
    TRANSCRIPTION_PROCESSED = "TRANSCRIPTION_PROCESSED"
    AGENT_ERROR = "AGENT_ERROR"


AGENT_EVENT_DATA_RULE = (
    "COALESCE(jsonb_typeof(data -> 'participant_id') = 'number' "
    "AND jsonb_typeof(data -> 'content') = 'string' "
    "AND jsonb_typeof(data -> 'metadata') = 'object', false)"
)


class RoomEvent(Base):
    """Append-only log of a room's lifecycle and attendance."""

    __tablename__ = "room_events"
    __table_args__ = (
        CheckConstraint(one_of("event_name", [e.value for e in RoomEventName]), name="event_name_known"),
        Index("idx_room_events_room", "room_id"),
        Index("idx_room_events_name", "event_name"),
        Index("idx_room_events_room_time", "room_id", text("created_at DESC")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False)
    event_name: Mapped[str] = mapped_column(String(100), nullable=False)
    data: Mapped[dict] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class AgentSessionEvent(Base):
    """Append-only log of what the AI agent heard, retrieved, answered and suggested."""

    __tablename__ = "agent_session_events"
    __table_args__ = (
        CheckConstraint(one_of("event_name", [e.value for e in AgentEventName]), name="event_name_known"),
        CheckConstraint(AGENT_EVENT_DATA_RULE, name="data_shape"),
        Index("idx_agent_events_room", "room_id"),
        Index("idx_agent_events_name", "event_name"),
        Index("idx_agent_events_room_time", "room_id", text("created_at DESC")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False)
    event_name: Mapped[str] = mapped_column(String(100), nullable=False)
    data: Mapped[dict] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = created_at_column()
