from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

import meetings.manager.entities.models  # noqa: F401  (a foreign key's table, which a flush resolves)
import meetings.manager.users.models  # noqa: F401  (a foreign key's table, which a flush resolves)
from meetings.db import Base, created_at_column

CONSENT_LANGUAGES = ("en", "pt")
CONSENT_TEXT_MAX_LENGTH = 4000


class ConsentText(Base):
    """One version of what an entity asks participants to agree to, per language; never rewritten."""

    __tablename__ = "consent_texts"
    __table_args__ = (
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("language IN ('en', 'pt')", name="language_known"),
        CheckConstraint(
            f"length(recording_text) BETWEEN 1 AND {CONSENT_TEXT_MAX_LENGTH} "
            f"AND length(assistant_text) BETWEEN 1 AND {CONSENT_TEXT_MAX_LENGTH}",
            name="text_length",
        ),
        UniqueConstraint("entity_id", "language", "version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"), nullable=False)
    language: Mapped[str] = mapped_column(String(8), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    recording_text: Mapped[str] = mapped_column(Text, nullable=False)
    assistant_text: Mapped[str] = mapped_column(Text, nullable=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()
