"""Phase 2, meeting tables (secretary): rooms, participants, room participants, events, agent usage,
recordings and the LiveKit webhook receipts.

Revision ID: 0002_meetings
Revises: 0001_core
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_meetings"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "type", sa.Enum("CLIENT", "PROFESSIONAL", "AGENT", name="participant_type"), nullable=False
        ),
        sa.Column("phone_number", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("external_id", sa.String(length=254), nullable=True),
        sa.Column("professional_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(type = 'PROFESSIONAL' AND professional_id IS NOT NULL) OR (type <> 'PROFESSIONAL' AND professional_id IS NULL)",
            name=op.f("ck_participants_type_professional"),
        ),
        sa.CheckConstraint("phone_number ~ '^\\+[1-9][0-9]{1,14}$'", name=op.f("ck_participants_phone_e164")),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["professionals.id"],
            name=op.f("fk_participants_professional_id_professionals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participants")),
    )
    op.create_index(
        "idx_participants_email",
        "participants",
        ["email"],
        unique=False,
        postgresql_where=sa.text("email IS NOT NULL"),
    )
    op.create_index(
        "idx_participants_external",
        "participants",
        ["external_id"],
        unique=False,
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    op.create_index("idx_participants_phone", "participants", ["phone_number"], unique=False)
    op.create_index("idx_participants_phone_type", "participants", ["phone_number", "type"], unique=False)
    op.create_index(
        "idx_participants_professional",
        "participants",
        ["professional_id"],
        unique=False,
        postgresql_where=sa.text("professional_id IS NOT NULL"),
    )
    op.create_index("idx_participants_type", "participants", ["type"], unique=False)
    op.create_table(
        "rooms",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("livekit_room_id", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("custom_prompt", sa.Text(), nullable=True),
        sa.Column("organizer_id", sa.Integer(), nullable=True),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.Enum("SCHEDULED", "ACTIVE", "COMPLETED", "CANCELED", name="room_status"),
            server_default="SCHEDULED",
            nullable=False,
        ),
        sa.Column("max_participants", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "custom_prompt IS NULL OR char_length(custom_prompt) <= 4000",
            name=op.f("ck_rooms_custom_prompt_length"),
        ),
        sa.CheckConstraint(
            "department_id IS NULL OR entity_id IS NOT NULL", name=op.f("ck_rooms_department_needs_entity")
        ),
        sa.CheckConstraint(
            "max_participants BETWEEN 2 AND 1000", name=op.f("ck_rooms_max_participants_range")
        ),
        sa.ForeignKeyConstraint(
            ["department_id", "entity_id"],
            ["departments.id", "departments.entity_id"],
            name="fk_rooms_department_same_entity",
        ),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"], name=op.f("fk_rooms_entity_id_entities")),
        sa.ForeignKeyConstraint(["organizer_id"], ["users.id"], name=op.f("fk_rooms_organizer_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rooms")),
    )
    op.create_index(
        "idx_rooms_department",
        "rooms",
        ["department_id"],
        unique=False,
        postgresql_where=sa.text("department_id IS NOT NULL"),
    )
    op.create_index(
        "idx_rooms_entity",
        "rooms",
        ["entity_id"],
        unique=False,
        postgresql_where=sa.text("entity_id IS NOT NULL"),
    )
    op.create_index("idx_rooms_livekit", "rooms", ["livekit_room_id"], unique=True)
    op.create_index(
        "idx_rooms_organizer",
        "rooms",
        ["organizer_id"],
        unique=False,
        postgresql_where=sa.text("organizer_id IS NOT NULL"),
    )
    op.create_index("idx_rooms_scheduled", "rooms", ["scheduled_at"], unique=False)
    op.create_index("idx_rooms_status", "rooms", ["status"], unique=False)
    op.create_table(
        "room_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.String(length=255), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("magic_link_token", sa.String(length=255), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("magic_link_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_organizer", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "context",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "magic_link_token ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'",
            name=op.f("ck_room_participants_magic_link_token_uuid"),
        ),
        sa.CheckConstraint(
            "password_hash ~ '^\\$2[aby]\\$(1[0-9]|2[0-9]|3[01])\\$[./A-Za-z0-9]{53}$'",
            name=op.f("ck_room_participants_password_hash_bcrypt"),
        ),
        sa.CheckConstraint(
            "failed_attempts >= 0", name=op.f("ck_room_participants_failed_attempts_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_room_participants_participant_id_participants"),
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_room_participants_room_id_rooms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_participants")),
    )
    op.create_index(
        "idx_room_part_magic",
        "room_participants",
        ["magic_link_token"],
        unique=True,
        postgresql_where=sa.text("magic_link_token IS NOT NULL"),
    )
    op.create_index("idx_room_part_participant", "room_participants", ["participant_id"], unique=False)
    op.create_index("idx_room_part_room", "room_participants", ["room_id"], unique=False)
    op.create_index("idx_room_part_unique", "room_participants", ["room_id", "participant_id"], unique=True)
    op.create_table(
        "room_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.String(length=255), nullable=False),
        sa.Column("event_name", sa.String(length=100), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "event_name IN ('ROOM_CREATED', 'ROOM_STARTED', 'ROOM_ENDED', 'PARTICIPANT_JOINED', 'PARTICIPANT_LEFT', 'CAPACITY_REACHED', 'RECORDING_STARTED', 'RECORDING_STOPPED')",
            name=op.f("ck_room_events_event_name_known"),
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_room_events_room_id_rooms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_events")),
    )
    op.create_index("idx_room_events_name", "room_events", ["event_name"], unique=False)
    op.create_index("idx_room_events_room", "room_events", ["room_id"], unique=False)
    op.create_index(
        "idx_room_events_room_time",
        "room_events",
        ["room_id", sa.literal_column("created_at DESC")],
        unique=False,
    )
    op.create_table(
        "agent_session_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.String(length=255), nullable=False),
        sa.Column("event_name", sa.String(length=100), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "event_name IN ('AGENT_JOINED', 'AGENT_LEFT', 'SUGGESTION_PROVIDED', 'QUESTION_ANSWERED', 'CONTEXT_RETRIEVED', 'TRANSCRIPTION_PROCESSED', 'AGENT_ERROR')",
            name=op.f("ck_agent_session_events_event_name_known"),
        ),
        sa.CheckConstraint(
            "COALESCE(jsonb_typeof(data -> 'participant_id') = 'number' AND jsonb_typeof(data -> 'content') = 'string' AND jsonb_typeof(data -> 'metadata') = 'object', false)",
            name=op.f("ck_agent_session_events_data_shape"),
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_agent_session_events_room_id_rooms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_session_events")),
    )
    op.create_index("idx_agent_events_name", "agent_session_events", ["event_name"], unique=False)
    op.create_index("idx_agent_events_room", "agent_session_events", ["room_id"], unique=False)
    op.create_index(
        "idx_agent_events_room_time",
        "agent_session_events",
        ["room_id", sa.literal_column("created_at DESC")],
        unique=False,
    )
    op.create_table(
        "agent_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.String(length=255), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("session_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("session_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "department_id IS NULL OR entity_id IS NOT NULL",
            name=op.f("ck_agent_usage_department_needs_entity"),
        ),
        sa.CheckConstraint(
            "session_end IS NULL OR session_end >= session_start", name=op.f("ck_agent_usage_session_order")
        ),
        sa.ForeignKeyConstraint(
            ["department_id", "entity_id"],
            ["departments.id", "departments.entity_id"],
            name="fk_agent_usage_department_same_entity",
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_agent_usage_entity_id_entities")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participants.id"], name=op.f("fk_agent_usage_participant_id_participants")
        ),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_agent_usage_room_id_rooms")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_usage")),
    )
    op.create_index(
        "idx_agent_usage_active",
        "agent_usage",
        ["room_id", "session_end"],
        unique=False,
        postgresql_where=sa.text("session_end IS NULL"),
    )
    op.create_index(
        "idx_agent_usage_department",
        "agent_usage",
        ["department_id"],
        unique=False,
        postgresql_where=sa.text("department_id IS NOT NULL"),
    )
    op.create_index(
        "idx_agent_usage_entity",
        "agent_usage",
        ["entity_id"],
        unique=False,
        postgresql_where=sa.text("entity_id IS NOT NULL"),
    )
    op.create_index(
        "idx_agent_usage_entity_date",
        "agent_usage",
        ["entity_id", sa.literal_column("session_start DESC")],
        unique=False,
    )
    op.create_index("idx_agent_usage_participant", "agent_usage", ["participant_id"], unique=False)
    op.create_index("idx_agent_usage_room", "agent_usage", ["room_id"], unique=False)
    op.create_index(
        "idx_agent_usage_start", "agent_usage", [sa.literal_column("session_start DESC")], unique=False
    )
    op.create_table(
        "recordings",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("room_id", sa.String(length=255), nullable=False),
        sa.Column("livekit_egress_id", sa.String(length=255), nullable=False),
        sa.Column("s3_bucket", sa.String(length=255), nullable=False),
        sa.Column("s3_key", sa.Text(), nullable=False),
        sa.Column("file_size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("purge_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("format", sa.String(length=20), server_default=sa.text("'mp4'"), nullable=False),
        sa.Column(
            "status",
            sa.Enum("PROCESSING", "READY", "FAILED", "PURGED", name="recording_status"),
            server_default="PROCESSING",
            nullable=False,
        ),
        sa.Column("attempt", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("attempt BETWEEN 1 AND 4", name=op.f("ck_recordings_attempt_range")),
        sa.CheckConstraint("retention_days IN (30, 90, 365)", name=op.f("ck_recordings_chk_retention_days")),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_recordings_room_id_rooms"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recordings")),
        sa.UniqueConstraint("s3_key", name="uq_recordings_s3_key"),
    )
    op.create_index("idx_recordings_egress", "recordings", ["livekit_egress_id"], unique=True)
    op.create_index(
        "idx_recordings_purge",
        "recordings",
        ["purge_at"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index("idx_recordings_room", "recordings", ["room_id"], unique=False)
    op.create_index("idx_recordings_status", "recordings", ["status"], unique=False)
    op.create_table(
        "livekit_webhook_receipts",
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("event_name", sa.String(length=100), nullable=False),
        sa.Column("room_name", sa.String(length=255), nullable=True),
        sa.Column("event_created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_livekit_webhook_receipts")),
    )


def downgrade() -> None:
    op.drop_table("livekit_webhook_receipts")
    op.drop_index("idx_recordings_status", table_name="recordings")
    op.drop_index("idx_recordings_room", table_name="recordings")
    op.drop_index(
        "idx_recordings_purge", table_name="recordings", postgresql_where=sa.text("deleted_at IS NULL")
    )
    op.drop_index("idx_recordings_egress", table_name="recordings")
    op.drop_table("recordings")
    op.drop_index("idx_agent_usage_start", table_name="agent_usage")
    op.drop_index("idx_agent_usage_room", table_name="agent_usage")
    op.drop_index("idx_agent_usage_participant", table_name="agent_usage")
    op.drop_index("idx_agent_usage_entity_date", table_name="agent_usage")
    op.drop_index(
        "idx_agent_usage_entity", table_name="agent_usage", postgresql_where=sa.text("entity_id IS NOT NULL")
    )
    op.drop_index(
        "idx_agent_usage_department",
        table_name="agent_usage",
        postgresql_where=sa.text("department_id IS NOT NULL"),
    )
    op.drop_index(
        "idx_agent_usage_active", table_name="agent_usage", postgresql_where=sa.text("session_end IS NULL")
    )
    op.drop_table("agent_usage")
    op.drop_index("idx_agent_events_room_time", table_name="agent_session_events")
    op.drop_index("idx_agent_events_room", table_name="agent_session_events")
    op.drop_index("idx_agent_events_name", table_name="agent_session_events")
    op.drop_table("agent_session_events")
    op.drop_index("idx_room_events_room_time", table_name="room_events")
    op.drop_index("idx_room_events_room", table_name="room_events")
    op.drop_index("idx_room_events_name", table_name="room_events")
    op.drop_table("room_events")
    op.drop_index("idx_room_part_unique", table_name="room_participants")
    op.drop_index("idx_room_part_room", table_name="room_participants")
    op.drop_index("idx_room_part_participant", table_name="room_participants")
    op.drop_index(
        "idx_room_part_magic",
        table_name="room_participants",
        postgresql_where=sa.text("magic_link_token IS NOT NULL"),
    )
    op.drop_table("room_participants")
    op.drop_index("idx_rooms_status", table_name="rooms")
    op.drop_index("idx_rooms_scheduled", table_name="rooms")
    op.drop_index(
        "idx_rooms_organizer", table_name="rooms", postgresql_where=sa.text("organizer_id IS NOT NULL")
    )
    op.drop_index("idx_rooms_livekit", table_name="rooms")
    op.drop_index("idx_rooms_entity", table_name="rooms", postgresql_where=sa.text("entity_id IS NOT NULL"))
    op.drop_index(
        "idx_rooms_department", table_name="rooms", postgresql_where=sa.text("department_id IS NOT NULL")
    )
    op.drop_table("rooms")
    op.drop_index("idx_participants_type", table_name="participants")
    op.drop_index(
        "idx_participants_professional",
        table_name="participants",
        postgresql_where=sa.text("professional_id IS NOT NULL"),
    )
    op.drop_index("idx_participants_phone_type", table_name="participants")
    op.drop_index("idx_participants_phone", table_name="participants")
    op.drop_index(
        "idx_participants_external",
        table_name="participants",
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    op.drop_index(
        "idx_participants_email", table_name="participants", postgresql_where=sa.text("email IS NOT NULL")
    )
    op.drop_table("participants")
    for enum_name in ("recording_status", "room_status", "participant_type"):
        sa.Enum(name=enum_name).drop(op.get_bind(), checkfirst=True)
