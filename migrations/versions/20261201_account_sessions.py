"""Accounts: a token version per user (a password, email or role change ends older sessions), a
one-time password reset token stored as its SHA-256, and login throttles keyed by address or client.

The throttle rows are transient (at most a lock's length of history), so the table is emptied rather
than converted.

Revision ID: 20261201_account_sessions
Revises: 20261201_participant_tenancy
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "20261201_account_sessions"
down_revision = "20261201_participant_tenancy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("token_version", sa.Integer(), server_default=sa.text("0"), nullable=False)
    )
    op.add_column("users", sa.Column("password_reset_hash", sa.String(length=64), nullable=True))
    op.add_column("users", sa.Column("password_reset_expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "idx_users_password_reset",
        "users",
        ["password_reset_hash"],
        unique=True,
        postgresql_where=sa.text("password_reset_hash IS NOT NULL"),
    )
    op.execute("DELETE FROM login_throttles")
    op.alter_column("login_throttles", "email", new_column_name="key", type_=sa.String(length=300))


def downgrade() -> None:
    op.execute("DELETE FROM login_throttles")
    op.alter_column("login_throttles", "key", new_column_name="email", type_=sa.String(length=254))
    op.drop_index("idx_users_password_reset", table_name="users")
    op.drop_column("users", "password_reset_expires_at")
    op.drop_column("users", "password_reset_hash")
    op.drop_column("users", "token_version")
