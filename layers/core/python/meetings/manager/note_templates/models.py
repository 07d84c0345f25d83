import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

import meetings.manager.departments.models  # noqa: F401  (a foreign key's table, which a flush resolves)
import meetings.manager.entities.models  # noqa: F401  (a foreign key's table, which a flush resolves)
from meetings.constraints import one_of
from meetings.db import Base, created_at_column, updated_at_column

MAX_SECTIONS = 12


class NoteKind(enum.StrEnum):
    """What a note is; it decides the document type of the FHIR export."""

    PROGRESS_NOTE = "progress_note"
    CONSULT_NOTE = "consult_note"
    MINUTES = "minutes"
    CLASS_SUMMARY = "class_summary"


class NoteTemplate(Base):
    """An entity's note template (a department's, when department_id is set): named sections, each with
    instructions for the model. `version` grows with every change of its sections or kind."""

    __tablename__ = "note_templates"
    __table_args__ = (
        CheckConstraint(one_of("kind", [k.value for k in NoteKind]), name="kind_known"),
        CheckConstraint(
            f"jsonb_typeof(sections) = 'array' AND jsonb_array_length(sections) BETWEEN 1 AND {MAX_SECTIONS}",
            name="sections_shape",
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("length(name) BETWEEN 1 AND 100", name="name_length"),
        ForeignKeyConstraint(
            ["department_id", "entity_id"],
            ["departments.id", "departments.entity_id"],
            name="fk_note_templates_department_same_entity",
            ondelete="CASCADE",
        ),
        Index("uq_note_templates_entity_name", "entity_id", func.lower(text("name")), unique=True),
        Index(
            "uq_note_templates_one_default",
            "entity_id",
            func.coalesce(text("department_id"), 0),
            unique=True,
            postgresql_where=text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"), nullable=False)
    department_id: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    sections: Mapped[list] = mapped_column(JSONB, nullable=False)
    is_default: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false"), default=False
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"), default=1)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
