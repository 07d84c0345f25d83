"""Consent as a record: each entity's versioned consent texts and every participant's decisions.

Revision ID: 20261201_consent
Revises: 20261201_waiting_room
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "20261201_consent"
down_revision = "20261201_waiting_room"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("recording_text", sa.Text(), nullable=False),
        sa.Column("assistant_text", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_consent_texts_version_positive")),
        sa.CheckConstraint("language IN ('en', 'pt')", name=op.f("ck_consent_texts_language_known")),
        sa.CheckConstraint(
            "length(recording_text) BETWEEN 1 AND 4000 AND length(assistant_text) BETWEEN 1 AND 4000",
            name=op.f("ck_consent_texts_text_length"),
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entities.id"],
            name=op.f("fk_consent_texts_entity_id_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_consent_texts_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_texts")),
        sa.UniqueConstraint(
            "entity_id", "language", "version", name=op.f("uq_consent_texts_entity_id_language_version")
        ),
    )
    op.create_table(
        "consent_records",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("room_id", sa.String(length=255), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("consent_text_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("recording", sa.Boolean(), nullable=False),
        sa.Column("assistant", sa.Boolean(), nullable=False),
        sa.Column("client_address_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("action IN ('JOIN', 'WITHDRAW')", name=op.f("ck_consent_records_action_known")),
        sa.CheckConstraint(
            "client_address_hash IS NULL OR client_address_hash ~ '^[0-9a-f]{64}$'",
            name=op.f("ck_consent_records_address_hash_hex"),
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_consent_records_room_id_rooms"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_consent_records_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["consent_text_id"],
            ["consent_texts.id"],
            name=op.f("fk_consent_records_consent_text_id_consent_texts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_records")),
    )
    op.create_index(
        "idx_consent_records_room_participant", "consent_records", ["room_id", "participant_id", "id"]
    )
    # Texts and decisions are appended, never rewritten (the function comes from 0003).
    for table in ("consent_texts", "consent_records"):
        op.execute(
            f"CREATE TRIGGER trg_{table}_append_only BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION reject_event_update()"
        )


def downgrade() -> None:
    for table in ("consent_records", "consent_texts"):
        op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_append_only ON {table}")
    op.drop_index("idx_consent_records_room_participant", table_name="consent_records")
    op.drop_table("consent_records")
    op.drop_table("consent_texts")
