import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

import meetings.manager.entities.models  # noqa: F401  (a foreign key's table, which a flush resolves)
import meetings.manager.professionals.models  # noqa: F401  (a foreign key's table, which a flush resolves)
import meetings.secretary.rooms.models  # noqa: F401  (a foreign key's table, which a flush resolves)
from meetings.constraints import BCRYPT_PATTERN, E164_PATTERN, SHA256_HEX_PATTERN, matches, one_of
from meetings.db import Base, created_at_column, updated_at_column


class ParticipantType(enum.StrEnum):
    CLIENT = "CLIENT"
    PROFESSIONAL = "PROFESSIONAL"
    AGENT = "AGENT"


class Participant(Base):
    """Anyone who takes part in meetings: a client, a professional or the AI agent."""

    __tablename__ = "participants"
    __table_args__ = (
        CheckConstraint(
            "(type = 'PROFESSIONAL' AND professional_id IS NOT NULL) "
            "OR (type <> 'PROFESSIONAL' AND professional_id IS NULL)",
            name="type_professional",
        ),
        CheckConstraint(matches("phone_number", E164_PATTERN), name="phone_e164"),
        Index("idx_participants_phone", "phone_number"),
        Index("idx_participants_email", "email", postgresql_where=text("email IS NOT NULL")),
        Index("idx_participants_external", "external_id", postgresql_where=text("external_id IS NOT NULL")),
        Index("idx_participants_type", "type"),
        Index(
            "idx_participants_professional",
            "professional_id",
            postgresql_where=text("professional_id IS NOT NULL"),
        ),
        Index("idx_participants_phone_type", "phone_number", "type"),
        Index("idx_participants_entity", "entity_id", postgresql_where=text("entity_id IS NOT NULL")),
        Index(
            "uq_participants_entity_external",
            "entity_id",
            "external_id",
            unique=True,
            postgresql_where=text("external_id IS NOT NULL AND entity_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    type: Mapped[ParticipantType] = mapped_column(
        Enum(ParticipantType, name="participant_type", values_callable=lambda e: [m.value for m in e]),
        nullable=False,
    )
    phone_number: Mapped[str] = mapped_column(String(20), nullable=False)
    email: Mapped[str | None] = mapped_column(String(254))
    external_id: Mapped[str | None] = mapped_column(String(254))
    professional_id: Mapped[int | None] = mapped_column(ForeignKey("professionals.id"))
    # The tenant that owns the row; NULL for rows shared by several entities or made by a MANAGER.
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class Admission(enum.StrEnum):
    """Where a link holder stands in a room's waiting room (None: never waited)."""

    WAITING = "WAITING"
    ADMITTED = "ADMITTED"
    DENIED = "DENIED"


class RoomParticipant(Base):
    """A participant's place in one room, with the magic-link credentials to join it (both hashed: the
    link's UUID token as SHA-256, its password with bcrypt).

    The link's expiry, failed password count and lock live here (the spec's Redis is not part of
    this stack).
    """

    __tablename__ = "room_participants"
    __table_args__ = (
        CheckConstraint(
            matches("magic_link_token_hash", SHA256_HEX_PATTERN), name="magic_link_token_hash_sha256"
        ),
        CheckConstraint(matches("password_hash", BCRYPT_PATTERN), name="password_hash_bcrypt"),
        CheckConstraint("failed_attempts >= 0", name="failed_attempts_non_negative"),
        Index("idx_room_part_room", "room_id"),
        Index("idx_room_part_participant", "participant_id"),
        Index(
            "idx_room_part_magic",
            "magic_link_token_hash",
            unique=True,
            postgresql_where=text("magic_link_token_hash IS NOT NULL"),
        ),
        Index("idx_room_part_unique", "room_id", "participant_id", unique=True),
        CheckConstraint(
            "admission IS NULL OR " + one_of("admission", [a.value for a in Admission]),
            name="admission_known",
        ),
        Index(
            "idx_room_part_waiting",
            "room_id",
            "admission_at",
            postgresql_where=text("admission = 'WAITING'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), nullable=False)
    magic_link_token_hash: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    magic_link_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"), default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    joined_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    left_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    admission: Mapped[str | None] = mapped_column(String(20))
    admission_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    is_organizer: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false"), default=False
    )
    context: Mapped[dict] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb"), default=dict
    )
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
