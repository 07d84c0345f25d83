"""Magic-link tokens are stored as their SHA-256 (hex), like passwords are stored as bcrypt hashes: a
read of the table no longer yields links anyone can open. Existing links keep working (their hash is
computed here with PostgreSQL's built-in sha256()).

Revision ID: 20261201_magic_link_hashes
Revises: 20261201_account_sessions
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "20261201_magic_link_hashes"
down_revision = "20261201_account_sessions"
branch_labels = None
depends_on = None

SHA256_HEX = "^[0-9a-f]{64}$"


def upgrade() -> None:
    op.add_column(
        "room_participants", sa.Column("magic_link_token_hash", sa.String(length=64), nullable=True)
    )
    op.execute(
        "UPDATE room_participants SET magic_link_token_hash = encode(sha256(convert_to(magic_link_token, 'UTF8')), 'hex') "
        "WHERE magic_link_token IS NOT NULL"
    )
    op.drop_index("idx_room_part_magic", table_name="room_participants")
    op.drop_constraint(op.f("ck_room_participants_magic_link_token_uuid"), "room_participants", type_="check")
    op.drop_column("room_participants", "magic_link_token")
    op.create_check_constraint(
        op.f("ck_room_participants_magic_link_token_hash_sha256"),
        "room_participants",
        f"magic_link_token_hash ~ '{SHA256_HEX}'",
    )
    op.create_index(
        "idx_room_part_magic",
        "room_participants",
        ["magic_link_token_hash"],
        unique=True,
        postgresql_where=sa.text("magic_link_token_hash IS NOT NULL"),
    )


def downgrade() -> None:
    """Links cannot be recovered from their hashes: every link must be reissued after a downgrade."""
    op.drop_index("idx_room_part_magic", table_name="room_participants")
    op.drop_constraint(
        op.f("ck_room_participants_magic_link_token_hash_sha256"), "room_participants", type_="check"
    )
    op.drop_column("room_participants", "magic_link_token_hash")
    op.add_column("room_participants", sa.Column("magic_link_token", sa.String(length=255), nullable=True))
    op.create_check_constraint(
        op.f("ck_room_participants_magic_link_token_uuid"),
        "room_participants",
        "magic_link_token ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'",
    )
    op.create_index(
        "idx_room_part_magic",
        "room_participants",
        ["magic_link_token"],
        unique=True,
        postgresql_where=sa.text("magic_link_token IS NOT NULL"),
    )
