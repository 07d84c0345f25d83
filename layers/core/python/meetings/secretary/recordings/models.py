import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Enum,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

import meetings.secretary.rooms.models  # noqa: F401  (a foreign key's table, which a flush resolves)
from meetings.constraints import RETENTION_DAYS_CHOICES, one_of
from meetings.db import Base, created_at_column

MAX_RECORDING_ATTEMPTS = 4  # the first egress and up to three retries


class RecordingStatus(enum.StrEnum):
    PROCESSING = "PROCESSING"
    READY = "READY"
    FAILED = "FAILED"
    PURGED = "PURGED"


class Recording(Base):
    """A meeting recording in S3, kept for its entity's retention period then purged."""

    __tablename__ = "recordings"
    __table_args__ = (
        CheckConstraint(one_of("retention_days", RETENTION_DAYS_CHOICES), name="chk_retention_days"),
        CheckConstraint(f"attempt BETWEEN 1 AND {MAX_RECORDING_ATTEMPTS}", name="attempt_range"),
        UniqueConstraint("s3_key", name="uq_recordings_s3_key"),
        Index("idx_recordings_room", "room_id"),
        Index("idx_recordings_egress", "livekit_egress_id", unique=True),
        Index("idx_recordings_purge", "purge_at", postgresql_where=text("deleted_at IS NULL")),
        Index("idx_recordings_status", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, server_default=text("gen_random_uuid()"))
    # A room with recordings cannot be deleted (retention policy).
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="RESTRICT"), nullable=False)
    livekit_egress_id: Mapped[str] = mapped_column(String(255), nullable=False)
    s3_bucket: Mapped[str] = mapped_column(String(255), nullable=False)
    s3_key: Mapped[str] = mapped_column(Text, nullable=False)
    file_size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    retention_days: Mapped[int] = mapped_column(Integer, nullable=False)
    # Set by the set_recording_purge_date() trigger from created_at + retention_days.
    purge_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=FetchedValue()
    )
    format: Mapped[str] = mapped_column(
        String(20), nullable=False, server_default=text("'mp4'"), default="mp4"
    )
    status: Mapped[RecordingStatus] = mapped_column(
        Enum(RecordingStatus, name="recording_status", values_callable=lambda e: [m.value for m in e]),
        nullable=False,
        server_default=RecordingStatus.PROCESSING.value,
        default=RecordingStatus.PROCESSING,
    )
    attempt: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"), default=1)
    created_at: Mapped[datetime] = created_at_column()
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def running_in_room(room_id) -> tuple:
    """The criteria of a room's recordings still being recorded (an egress started, not yet ended);
    `room_id` is a value or a column."""
    return (
        Recording.room_id == room_id,
        Recording.status == RecordingStatus.PROCESSING,
        Recording.duration_seconds.is_(None),
    )
