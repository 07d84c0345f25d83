from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    FetchedValue,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

import meetings.manager.departments.models  # noqa: F401  (a foreign key's table, which a flush resolves)
import meetings.manager.entities.models  # noqa: F401  (a foreign key's table, which a flush resolves)
import meetings.secretary.participants.models  # noqa: F401  (a foreign key's table, which a flush resolves)
import meetings.secretary.rooms.models  # noqa: F401  (a foreign key's table, which a flush resolves)
from meetings.db import Base, created_at_column, updated_at_column

# `data.kind` of the usage row a note-drafting job writes: its tokens and cost, not an agent session.
NOTE_DRAFT_USAGE = "note_draft"


class AgentUsage(Base):
    """One agent session in one room: what it consumed, for billing and reports."""

    __tablename__ = "agent_usage"
    __table_args__ = (
        CheckConstraint("session_end IS NULL OR session_end >= session_start", name="session_order"),
        CheckConstraint("department_id IS NULL OR entity_id IS NOT NULL", name="department_needs_entity"),
        ForeignKeyConstraint(
            ["department_id", "entity_id"],
            ["departments.id", "departments.entity_id"],
            name="fk_agent_usage_department_same_entity",
        ),
        Index("idx_agent_usage_room", "room_id"),
        Index("idx_agent_usage_participant", "participant_id"),
        Index("idx_agent_usage_entity", "entity_id", postgresql_where=text("entity_id IS NOT NULL")),
        Index(
            "idx_agent_usage_department",
            "department_id",
            postgresql_where=text("department_id IS NOT NULL"),
        ),
        Index("idx_agent_usage_start", text("session_start DESC")),
        Index("idx_agent_usage_entity_date", "entity_id", text("session_start DESC")),
        Index(
            "idx_agent_usage_active",
            "room_id",
            "session_end",
            postgresql_where=text("session_end IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Billing history outlives nothing: a room with usage cannot be hard-deleted.
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id"), nullable=False)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), nullable=False)
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id"))
    department_id: Mapped[int | None] = mapped_column(Integer)
    session_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    session_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Filled by the calculate_agent_duration() trigger when session_end is set.
    duration_seconds: Mapped[int | None] = mapped_column(
        Integer, server_default=FetchedValue(), server_onupdate=FetchedValue()
    )
    data: Mapped[dict] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
