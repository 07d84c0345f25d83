from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from meetings.constraints import (
    INSTRUCTIONS_MAX_LENGTH,
    MAX_PARTICIPANTS_RANGE,
    RETENTION_DAYS_CHOICES,
    max_length,
    one_of,
)
from meetings.db import Base, created_at_column, updated_at_column


class Entity(Base):
    """An organization (clinic, agency, school) using the platform."""

    __tablename__ = "entities"
    __table_args__ = (
        CheckConstraint(
            f"max_participants BETWEEN {MAX_PARTICIPANTS_RANGE[0]} AND {MAX_PARTICIPANTS_RANGE[1]}",
            name="max_participants_range",
        ),
        CheckConstraint(
            one_of("recording_retention_days", RETENTION_DAYS_CHOICES), name="retention_days_choice"
        ),
        CheckConstraint(
            max_length("default_instructions", INSTRUCTIONS_MAX_LENGTH),
            name="default_instructions_length",
        ),
        Index("idx_entities_active", "active", postgresql_where=text("active = true")),
        Index("idx_entities_type", "type"),
        Index(
            "uq_entities_active_name",
            func.lower(text("name")),
            unique=True,
            postgresql_where=text("active = true"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    type: Mapped[str] = mapped_column(String(100), nullable=False)
    default_instructions: Mapped[str | None] = mapped_column(Text)
    max_participants: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("50"), default=50
    )
    recording_retention_days: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("30"), default=30
    )
    waiting_room: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false"), default=False
    )
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"), default=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
