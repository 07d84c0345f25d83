from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Enum,
    FetchedValue,
    Float,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

import meetings.secretary.participants.models  # noqa: F401  (a foreign key's table, which a flush resolves)
import meetings.secretary.rooms.models  # noqa: F401  (a foreign key's table, which a flush resolves)
from meetings.db import Base, created_at_column
from meetings.secretary.participants.models import ParticipantType

MAX_SEGMENT_CHARACTERS = 10_000


class TranscriptSegment(Base):
    """One final utterance of one participant; times are seconds from the room's start."""

    __tablename__ = "transcript_segments"
    __table_args__ = (
        CheckConstraint("start_seconds >= 0 AND end_seconds >= start_seconds", name="times_ordered"),
        CheckConstraint(f"length(text) BETWEEN 1 AND {MAX_SEGMENT_CHARACTERS}", name="text_length"),
        CheckConstraint("confidence IS NULL OR confidence BETWEEN 0 AND 1", name="confidence_range"),
        Index("idx_transcript_segments_room_time", "room_id", "start_seconds", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))
    speaker_name: Mapped[str] = mapped_column(String(255), nullable=False)
    speaker_type: Mapped[ParticipantType] = mapped_column(
        Enum(
            ParticipantType,
            name="participant_type",
            values_callable=lambda e: [m.value for m in e],
            create_type=False,
        ),
        nullable=False,
    )
    start_seconds: Mapped[Decimal] = mapped_column(Numeric(10, 3), nullable=False)
    end_seconds: Mapped[Decimal] = mapped_column(Numeric(10, 3), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    language: Mapped[str | None] = mapped_column(String(16))
    confidence: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = created_at_column()
    # Written by the database on insert (trg_transcript_segments_render), never by the application: the
    # segment's object in the transcript's JSON, and its WebVTT cue timing ("00:01:02.500 --> 00:01:04.000").
    rendered_json: Mapped[str] = mapped_column(Text, nullable=False, server_default=FetchedValue())
    rendered_cue_timing: Mapped[str] = mapped_column(Text, nullable=False, server_default=FetchedValue())
