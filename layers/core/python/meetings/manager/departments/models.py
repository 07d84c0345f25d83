from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

import meetings.manager.entities.models  # noqa: F401  (a foreign key's table, which a flush resolves)
from meetings.constraints import INSTRUCTIONS_MAX_LENGTH, max_length
from meetings.db import Base, created_at_column, updated_at_column


class Department(Base):
    """An area or specialty inside an organization (Cardiology, HR, Sales)."""

    __tablename__ = "departments"
    __table_args__ = (
        CheckConstraint(max_length("instructions", INSTRUCTIONS_MAX_LENGTH), name="instructions_length"),
        # Target of the composite foreign keys that keep a department inside its entity.
        UniqueConstraint("id", "entity_id", name="uq_departments_id_entity"),
        Index("idx_departments_entity", "entity_id"),
        Index("idx_departments_active", "entity_id", "active", postgresql_where=text("active = true")),
        Index(
            "uq_departments_entity_active_name",
            "entity_id",
            func.lower(text("name")),
            unique=True,
            postgresql_where=text("active = true"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_id: Mapped[int] = mapped_column(
        ForeignKey("entities.id", name="fk_department_entity", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    instructions: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"), default=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
