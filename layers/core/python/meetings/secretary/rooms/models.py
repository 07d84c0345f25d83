import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

import meetings.manager.departments.models  # noqa: F401  (a foreign key's table, which a flush resolves)
import meetings.manager.entities.models  # noqa: F401  (a foreign key's table, which a flush resolves)
import meetings.manager.users.models  # noqa: F401  (a foreign key's table, which a flush resolves)
from meetings.constraints import CUSTOM_PROMPT_MAX_LENGTH, MAX_PARTICIPANTS_RANGE, max_length
from meetings.db import Base, created_at_column, updated_at_column


class RoomStatus(enum.StrEnum):
    SCHEDULED = "SCHEDULED"
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"


class Room(Base):
    """A scheduled or running meeting, backed by one LiveKit room."""

    __tablename__ = "rooms"
    __table_args__ = (
        CheckConstraint(max_length("custom_prompt", CUSTOM_PROMPT_MAX_LENGTH), name="custom_prompt_length"),
        CheckConstraint(
            f"max_participants BETWEEN {MAX_PARTICIPANTS_RANGE[0]} AND {MAX_PARTICIPANTS_RANGE[1]}",
            name="max_participants_range",
        ),
        CheckConstraint("department_id IS NULL OR entity_id IS NOT NULL", name="department_needs_entity"),
        ForeignKeyConstraint(
            ["department_id", "entity_id"],
            ["departments.id", "departments.entity_id"],
            name="fk_rooms_department_same_entity",
        ),
        Index("idx_rooms_entity", "entity_id", postgresql_where=text("entity_id IS NOT NULL")),
        Index("idx_rooms_department", "department_id", postgresql_where=text("department_id IS NOT NULL")),
        Index("idx_rooms_organizer", "organizer_id", postgresql_where=text("organizer_id IS NOT NULL")),
        Index("idx_rooms_status", "status"),
        Index("idx_rooms_scheduled", "scheduled_at"),
        Index("idx_rooms_livekit", "livekit_room_id", unique=True),
    )

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    livekit_room_id: Mapped[str] = mapped_column(String(255), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id"))
    department_id: Mapped[int | None] = mapped_column(Integer)
    custom_prompt: Mapped[str | None] = mapped_column(Text)
    organizer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    scheduled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[RoomStatus] = mapped_column(
        Enum(RoomStatus, name="room_status", values_callable=lambda e: [m.value for m in e]),
        nullable=False,
        server_default=RoomStatus.SCHEDULED.value,
        default=RoomStatus.SCHEDULED,
    )
    max_participants: Mapped[int] = mapped_column(Integer, nullable=False)
    waiting_room: Mapped[bool | None] = mapped_column(Boolean)  # None: the entity's default
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
