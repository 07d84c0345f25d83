from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

import meetings.secretary.rooms.models  # noqa: F401  (a foreign key's table, which a flush resolves)
from meetings.db import Base, created_at_column


class RetentionReceipt(Base):
    """What one purge removed from a room (kinds, counts, ids), under which policy, and a hash of it."""

    __tablename__ = "retention_receipts"
    __table_args__ = (
        CheckConstraint("content_sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),
        Index("idx_retention_receipts_room", "room_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False)
    purged: Mapped[dict] = mapped_column(JSONB, nullable=False)
    policy: Mapped[dict] = mapped_column(JSONB, nullable=False)
    content_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = created_at_column()
