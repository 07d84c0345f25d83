"""Transcript segments: a visit's final utterances as a resource of their own, append-only.

Revision ID: 20261201_transcript_segments
Revises: 20261201_outgoing_webhooks
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "20261201_transcript_segments"
down_revision = "20261201_outgoing_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transcript_segments",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("room_id", sa.String(length=255), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("speaker_name", sa.String(length=255), nullable=False),
        sa.Column(
            "speaker_type",
            postgresql.ENUM("CLIENT", "PROFESSIONAL", "AGENT", name="participant_type", create_type=False),
            nullable=False,
        ),
        sa.Column("start_seconds", sa.Numeric(precision=10, scale=3), nullable=False),
        sa.Column("end_seconds", sa.Numeric(precision=10, scale=3), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "start_seconds >= 0 AND end_seconds >= start_seconds",
            name=op.f("ck_transcript_segments_times_ordered"),
        ),
        sa.CheckConstraint(
            "length(text) BETWEEN 1 AND 10000", name=op.f("ck_transcript_segments_text_length")
        ),
        sa.CheckConstraint(
            "confidence IS NULL OR confidence BETWEEN 0 AND 1",
            name=op.f("ck_transcript_segments_confidence_range"),
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_transcript_segments_participant_id_participants"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_transcript_segments_room_id_rooms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcript_segments")),
    )
    op.create_index(
        "idx_transcript_segments_room_time", "transcript_segments", ["room_id", "start_seconds", "id"]
    )
    # Segments are appended and purged, never rewritten (the function comes from 0003).
    op.execute(
        "CREATE TRIGGER trg_transcript_segments_append_only BEFORE UPDATE ON transcript_segments "
        "FOR EACH ROW EXECUTE FUNCTION reject_event_update()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS trg_transcript_segments_append_only ON transcript_segments")
    op.drop_index("idx_transcript_segments_room_time", table_name="transcript_segments")
    op.drop_table("transcript_segments")
