from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from meetings.db import Base, created_at_column


class WebhookReceipt(Base):
    """A LiveKit webhook event already processed; its id makes redelivery a no-op."""

    __tablename__ = "livekit_webhook_receipts"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    event_name: Mapped[str] = mapped_column(String(100), nullable=False)
    room_name: Mapped[str | None] = mapped_column(String(255))
    event_created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = created_at_column()
