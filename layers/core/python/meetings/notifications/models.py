"""Webhook endpoints, the outbox of messages, one delivery per message and endpoint, and its attempts."""

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

import meetings.manager.entities.models  # noqa: F401  (a foreign key's table, which a flush resolves)
from meetings.constraints import max_length, one_of
from meetings.db import Base, created_at_column, updated_at_column

URL_MAX_LENGTH = 2000
DESCRIPTION_MAX_LENGTH = 500
DELIVERY_STATUSES = ("PENDING", "SUCCEEDED", "FAILED", "CANCELED")
DISABLED_REASONS = ("endpoint_gone", "retries_exhausted")


class WebhookEndpoint(Base):
    """Where an entity wants its events, which ones, and the secret(s) that sign them."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        CheckConstraint(f"char_length(url) <= {URL_MAX_LENGTH}", name="url_length"),
        CheckConstraint(max_length("description", DESCRIPTION_MAX_LENGTH), name="description_length"),
        CheckConstraint("cardinality(event_types) > 0", name="event_types_present"),
        CheckConstraint(
            f"disabled_reason IS NULL OR {one_of('disabled_reason', DISABLED_REASONS)}",
            name="disabled_reason",
        ),
        Index("idx_webhook_endpoints_entity", "entity_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"), nullable=False)
    url: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(100)), nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"), default=True)
    # Set when the platform (not the entity) turned the endpoint off; cleared when it is enabled again.
    disabled_reason: Mapped[str | None] = mapped_column(String(50))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    secret: Mapped[str] = mapped_column(Text, nullable=False)
    # The secret before the last rotation, which still signs until it expires.
    previous_secret: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class WebhookMessage(Base):
    """One event of an entity, written in the transaction of the change that caused it (the outbox)."""

    __tablename__ = "webhook_messages"
    __table_args__ = (Index("idx_webhook_messages_entity_created", "entity_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"), nullable=False)
    type: Mapped[str] = mapped_column(String(100), nullable=False)
    data: Mapped[dict] = mapped_column(JSONB, nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_at: Mapped[datetime] = created_at_column()

    @property
    def webhook_id(self) -> str:
        return webhook_id(self.id)


def webhook_id(message_id: uuid.UUID) -> str:
    """The `webhook-id` header: the same on every attempt and every replay of a message."""
    return f"msg_{message_id.hex}"


class WebhookDelivery(Base):
    """A message on its way to one endpoint: due, leased by a dispatcher, done, or given up."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(one_of("status", DELIVERY_STATUSES), name="status_known"),
        Index("idx_webhook_deliveries_due", "next_attempt_at", postgresql_where=text("status = 'PENDING'")),
        Index("idx_webhook_deliveries_endpoint", "endpoint_id", "created_at"),
        Index("idx_webhook_deliveries_message", "message_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, server_default=text("gen_random_uuid()"))
    message_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_messages.id", ondelete="CASCADE"), nullable=False
    )
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False
    )
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default=text("'PENDING'"))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"), default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
    lease_token: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replay_of: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="SET NULL")
    )
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()


class WebhookAttempt(Base):
    """One try of a delivery: what the endpoint answered (or why nothing was sent), and how long it took."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("idx_webhook_attempts_delivery", "delivery_id", "attempted_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False
    )
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    succeeded: Mapped[bool] = mapped_column(Boolean, nullable=False)
    response_status: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    error: Mapped[str | None] = mapped_column(String(200))
