"""Retention receipts: what the purge removed from a room's transcript and consent records, and proof of it.

Revision ID: 20261201_retention_receipts
Revises: 20261201_consent
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "20261201_retention_receipts"
down_revision = "20261201_consent"
branch_labels = None
depends_on = None

BEFORE = (
    "ROOM_CREATED",
    "ROOM_STARTED",
    "ROOM_ENDED",
    "PARTICIPANT_JOINED",
    "PARTICIPANT_LEFT",
    "CAPACITY_REACHED",
    "RECORDING_STARTED",
    "RECORDING_STOPPED",
    "PARTICIPANT_WAITING",
    "PARTICIPANT_ADMITTED",
    "PARTICIPANT_DENIED",
)
AFTER = (*BEFORE, "RETENTION_PURGED")


def _events_rule(names) -> str:
    return "event_name IN (" + ", ".join(f"'{n}'" for n in names) + ")"


def upgrade() -> None:
    op.create_table(
        "retention_receipts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("room_id", sa.String(length=255), nullable=False),
        sa.Column("purged", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("policy", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "content_sha256 ~ '^[0-9a-f]{64}$'", name=op.f("ck_retention_receipts_sha256_hex")
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_retention_receipts_room_id_rooms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_receipts")),
    )
    op.create_index("idx_retention_receipts_room", "retention_receipts", ["room_id", "id"])
    op.execute(
        "CREATE TRIGGER trg_retention_receipts_append_only BEFORE UPDATE ON retention_receipts "
        "FOR EACH ROW EXECUTE FUNCTION reject_event_update()"
    )
    op.drop_constraint(op.f("ck_room_events_event_name_known"), "room_events", type_="check")
    op.create_check_constraint(op.f("ck_room_events_event_name_known"), "room_events", _events_rule(AFTER))


def downgrade() -> None:
    op.drop_constraint(op.f("ck_room_events_event_name_known"), "room_events", type_="check")
    op.create_check_constraint(op.f("ck_room_events_event_name_known"), "room_events", _events_rule(BEFORE))
    op.execute("DROP TRIGGER IF EXISTS trg_retention_receipts_append_only ON retention_receipts")
    op.drop_index("idx_retention_receipts_room", table_name="retention_receipts")
    op.drop_table("retention_receipts")
