from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, Enum, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

import meetings.manager.entities.models  # noqa: F401  (a foreign key's table, which a flush resolves)
from meetings.constraints import BCRYPT_PATTERN, E164_PATTERN, matches
from meetings.db import Base, created_at_column, updated_at_column
from meetings.identity.roles import UserRole


class User(Base):
    """A backoffice account: a platform MANAGER or the ENTITY_ADMIN of one organization."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(role = 'MANAGER' AND entity_id IS NULL) OR (role = 'ENTITY_ADMIN' AND entity_id IS NOT NULL)",
            name="role_entity",
        ),
        CheckConstraint(matches("phone_number", E164_PATTERN), name="phone_e164"),
        CheckConstraint(matches("password", BCRYPT_PATTERN), name="password_bcrypt"),
        Index("idx_users_email", "email", unique=True),
        Index("idx_users_phone", "phone_number"),
        Index("idx_users_entity", "entity_id", postgresql_where=text("entity_id IS NOT NULL")),
        Index("idx_users_active", "active", postgresql_where=text("active = true")),
        Index(
            "idx_users_password_reset",
            "password_reset_hash",
            unique=True,
            postgresql_where=text("password_reset_hash IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    password: Mapped[str] = mapped_column(String(255), nullable=False)
    phone_number: Mapped[str] = mapped_column(String(20), nullable=False)
    role: Mapped[UserRole] = mapped_column(
        Enum(UserRole, name="user_role", values_callable=lambda e: [m.value for m in e]),
        nullable=False,
    )
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id"))
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"), default=True)
    # Bumped when the password, email or role changes: access tokens of an older version stop working.
    token_version: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"), default=0)
    # SHA-256 (hex) of a one-time password reset token an admin issued, and when it stops working.
    password_reset_hash: Mapped[str | None] = mapped_column(String(64))
    password_reset_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    def __repr__(self) -> str:
        return f"User(id={self.id!r}, role={self.role!r}, entity_id={self.entity_id!r})"
