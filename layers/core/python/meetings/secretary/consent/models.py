import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

import meetings.manager.consent.models  # noqa: F401  (a foreign key's table, which a flush resolves)
import meetings.secretary.participants.models  # noqa: F401  (a foreign key's table, which a flush resolves)
import meetings.secretary.rooms.models  # noqa: F401  (a foreign key's table, which a flush resolves)
from meetings.db import Base, created_at_column


class ConsentAction(enum.StrEnum):
    JOIN = "JOIN"  # the choices sent with a join that was granted
    WITHDRAW = "WITHDRAW"  # assistant consent withdrawn from inside the meeting


class ConsentRecord(Base):
    """One decision of one participant in one room, against the text version they were shown."""

    __tablename__ = "consent_records"
    __table_args__ = (
        CheckConstraint("action IN ('JOIN', 'WITHDRAW')", name="action_known"),
        CheckConstraint(
            "client_address_hash IS NULL OR client_address_hash ~ '^[0-9a-f]{64}$'", name="address_hash_hex"
        ),
        Index("idx_consent_records_room_participant", "room_id", "participant_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), nullable=False
    )  # a deleted person takes their decisions along
    consent_text_id: Mapped[int | None] = mapped_column(ForeignKey("consent_texts.id"))
    action: Mapped[str] = mapped_column(String(20), nullable=False)
    recording: Mapped[bool] = mapped_column(Boolean, nullable=False)
    assistant: Mapped[bool] = mapped_column(Boolean, nullable=False)
    client_address_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column()
