import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

import meetings.manager.users.models  # noqa: F401  (a foreign key's table, which a flush resolves)
import meetings.secretary.rooms.models  # noqa: F401  (a foreign key's table, which a flush resolves)
from meetings.constraints import one_of
from meetings.db import Base, created_at_column, updated_at_column


class NoteStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for the drafting job
    DRAFTING = "drafting"  # leased by a drafting job until lease_until
    DRAFT = "draft"  # ready for review; editable
    FAILED = "failed"  # the model gave no usable answer; failure_code says why
    SIGNED = "signed"  # signed by a person; its content can no longer change
    SUPERSEDED = "superseded"  # a signed version an amendment replaced


SIGNED_STATUSES = (NoteStatus.SIGNED, NoteStatus.SUPERSEDED)


class VisitNote(Base):
    """One version of a room's note. Version 1 is drafted by the model when the room ends; an amendment
    of a signed version is the next version. The template is copied in, so later edits of it change
    nothing here. Signed content is frozen by a trigger."""

    __tablename__ = "visit_notes"
    __table_args__ = (
        CheckConstraint(one_of("status", [s.value for s in NoteStatus]), name="status_known"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("jsonb_typeof(sections) = 'array'", name="sections_array"),
        CheckConstraint(
            "(status IN ('signed', 'superseded')) = (signed_at IS NOT NULL AND content_hash IS NOT NULL)",
            name="signed_has_signature",
        ),
        CheckConstraint("content_hash IS NULL OR content_hash ~ '^[0-9a-f]{64}$'", name="hash_hex"),
        Index("uq_visit_notes_room_version", "room_id", "version", unique=True),
        Index(
            "idx_visit_notes_waiting",
            "created_at",
            postgresql_where=text("status IN ('pending', 'drafting')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    # "builtin:soap" or "template:<id>", with the template's version when the note was requested.
    template_ref: Mapped[str] = mapped_column(String(64), nullable=False)
    template_version: Mapped[int] = mapped_column(Integer, nullable=False)
    template_name: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    template_sections: Mapped[list] = mapped_column(JSONB, nullable=False)
    sections: Mapped[list] = mapped_column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))
    failure_code: Mapped[str | None] = mapped_column(String(64))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"), default=0)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    model: Mapped[str | None] = mapped_column(String(100))
    tokens_input: Mapped[int | None] = mapped_column(Integer)
    tokens_output: Mapped[int | None] = mapped_column(Integer)
    drafted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    signer_email: Mapped[str | None] = mapped_column(String(254))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    amends_note_id: Mapped[int | None] = mapped_column(ForeignKey("visit_notes.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
