from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

import meetings.manager.departments.models  # noqa: F401  (a foreign key's table, which a flush resolves)
import meetings.manager.entities.models  # noqa: F401  (a foreign key's table, which a flush resolves)
from meetings.constraints import E164_PATTERN, matches
from meetings.db import Base, created_at_column, updated_at_column


class Professional(Base):
    """A doctor, consultant or staff member; may work for several organizations or none."""

    __tablename__ = "professionals"
    __table_args__ = (
        CheckConstraint(matches("phone_number", E164_PATTERN), name="phone_e164"),
        Index("idx_professionals_phone", "phone_number"),
        Index("idx_professionals_email", "email", postgresql_where=text("email IS NOT NULL")),
        Index(
            "idx_professionals_external",
            "external_id",
            postgresql_where=text("external_id IS NOT NULL"),
        ),
        Index("idx_professionals_active", "active", postgresql_where=text("active = true")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str | None] = mapped_column(String(254))
    phone_number: Mapped[str] = mapped_column(String(20), nullable=False)
    external_id: Mapped[str | None] = mapped_column(String(254))
    license_number: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"), default=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class ProfessionalEntity(Base):
    """A professional's link to an organization, optionally to one of its departments."""

    __tablename__ = "professional_entities"
    __table_args__ = (
        ForeignKeyConstraint(
            ["department_id", "entity_id"],
            ["departments.id", "departments.entity_id"],
            name="fk_professional_entities_department_same_entity",
        ),
        Index("idx_prof_entity_professional", "professional_id"),
        Index("idx_prof_entity_entity", "entity_id"),
        Index(
            "idx_prof_entity_department",
            "department_id",
            postgresql_where=text("department_id IS NOT NULL"),
        ),
        Index(
            "idx_prof_entity_unique",
            "professional_id",
            "entity_id",
            "department_id",
            unique=True,
            postgresql_where=text("active = true"),
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professionals.id"), nullable=False)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"), nullable=False)
    department_id: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"), default=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
