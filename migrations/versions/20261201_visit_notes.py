"""Visit notes and note templates: the AI draft of a visit, its versions and signatures, and the
templates it follows; their grants, row-level security, and the trigger that freezes signed content.

Revision ID: 20261201_visit_notes
Revises: 20261201_visit_grants
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "20261201_visit_notes"
down_revision = "20261201_visit_grants"
branch_labels = None
depends_on = None

APP, JOBS = "meetings_app", "meetings_jobs"
SCOPE = "(SELECT current_setting('app.scope', true))"
ENTITY = "(SELECT nullif(current_setting('app.entity_id', true), '')::integer)"

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
    "RETENTION_PURGED",
)
AFTER = (*BEFORE, "NOTE_DRAFTED", "NOTE_FAILED", "NOTE_EDITED", "NOTE_SIGNED", "NOTE_AMENDED")

GRANTS = [
    (APP, "note_templates", "SELECT, INSERT, UPDATE, DELETE"),
    (APP, "visit_notes", "SELECT, INSERT, UPDATE"),
    (JOBS, "note_templates", "SELECT"),
    (JOBS, "visit_notes", "SELECT, UPDATE, DELETE"),  # the retention purge deletes unsigned versions
    (JOBS, "agent_usage", "SELECT, INSERT"),
    (JOBS, "agent_session_events", "SELECT, INSERT"),
]
# (table, tenant column or None for "the row's room decides", scopes that see every row besides manager).
# Every path that ends a room asks for its note: the API, the organizer's join link, LiveKit's webhook.
NEW_POLICIES = {
    "note_templates": ("entity_id", ("join", "webhook", "jobs")),
    "visit_notes": (None, ("join", "webhook", "jobs")),
}
# Existing policies the drafting job needs to see through (it writes usage and logs its failures).
WIDENED = {
    "agent_usage": (
        ("entity_id", ("join", "webhook", "agent")),
        ("entity_id", ("join", "webhook", "agent", "jobs")),
    ),
    "agent_session_events": ((None, ("agent",)), (None, ("agent", "jobs"))),
}

# Signed content never changes: a signed version may only become superseded (by an amendment); its
# signer may be forgotten when the user is deleted (the email stays).
PROTECT_SIGNED_NOTE = """
CREATE FUNCTION protect_signed_note() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
    IF OLD.status IN ('signed', 'superseded') AND (
        NEW.sections IS DISTINCT FROM OLD.sections
        OR NEW.content_hash IS DISTINCT FROM OLD.content_hash
        OR NEW.signed_at IS DISTINCT FROM OLD.signed_at
        OR NEW.signer_email IS DISTINCT FROM OLD.signer_email
        OR NEW.version IS DISTINCT FROM OLD.version
        OR NEW.room_id IS DISTINCT FROM OLD.room_id
        OR NEW.template_sections IS DISTINCT FROM OLD.template_sections
        OR NOT (NEW.status = OLD.status OR (OLD.status = 'signed' AND NEW.status = 'superseded'))
    ) THEN
        RAISE EXCEPTION 'visit note % version % is signed and cannot change', OLD.room_id, OLD.version
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$
"""


def _events_rule(names) -> str:
    return "event_name IN (" + ", ".join(f"'{n}'" for n in names) + ")"


def _condition(table: str, key, scopes) -> str:
    sees_all = ", ".join(f"'{scope}'" for scope in ("manager", *scopes))
    if key is None:
        own = f"({SCOPE} = 'entity' AND EXISTS (SELECT 1 FROM rooms WHERE rooms.id = {table}.room_id))"
    else:
        own = f"({SCOPE} = 'entity' AND {table}.{key} = {ENTITY})"
    return f"{SCOPE} IN ({sees_all}) OR {own}"


def _policy(table: str, key, scopes) -> None:
    condition = _condition(table, key, scopes)
    op.execute(f"DROP POLICY IF EXISTS tenant_rows ON {table}")
    op.execute(f"CREATE POLICY tenant_rows ON {table} USING ({condition}) WITH CHECK ({condition})")


def _create_tables() -> None:
    op.create_table(
        "note_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("sections", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('progress_note', 'consult_note', 'minutes', 'class_summary')",
            name=op.f("ck_note_templates_kind_known"),
        ),
        sa.CheckConstraint(
            "jsonb_typeof(sections) = 'array' AND jsonb_array_length(sections) BETWEEN 1 AND 12",
            name=op.f("ck_note_templates_sections_shape"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_note_templates_version_positive")),
        sa.CheckConstraint("length(name) BETWEEN 1 AND 100", name=op.f("ck_note_templates_name_length")),
        sa.ForeignKeyConstraint(
            ["department_id", "entity_id"],
            ["departments.id", "departments.entity_id"],
            name="fk_note_templates_department_same_entity",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entities.id"],
            name=op.f("fk_note_templates_entity_id_entities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_templates")),
    )
    op.create_index(
        "uq_note_templates_entity_name", "note_templates", ["entity_id", sa.text("lower(name)")], unique=True
    )
    op.create_index(
        "uq_note_templates_one_default",
        "note_templates",
        ["entity_id", sa.text("coalesce(department_id, 0)")],
        unique=True,
        postgresql_where=sa.text("is_default"),
    )
    op.create_table(
        "visit_notes",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("room_id", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("template_ref", sa.String(length=64), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("template_name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("template_sections", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "sections",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("failure_code", sa.String(length=64), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("tokens_input", sa.Integer(), nullable=True),
        sa.Column("tokens_output", sa.Integer(), nullable=True),
        sa.Column("drafted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_by", sa.Integer(), nullable=True),
        sa.Column("signer_email", sa.String(length=254), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("amends_note_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'drafting', 'draft', 'failed', 'signed', 'superseded')",
            name=op.f("ck_visit_notes_status_known"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_visit_notes_version_positive")),
        sa.CheckConstraint("jsonb_typeof(sections) = 'array'", name=op.f("ck_visit_notes_sections_array")),
        sa.CheckConstraint(
            "(status IN ('signed', 'superseded')) = (signed_at IS NOT NULL AND content_hash IS NOT NULL)",
            name=op.f("ck_visit_notes_signed_has_signature"),
        ),
        sa.CheckConstraint(
            "content_hash IS NULL OR content_hash ~ '^[0-9a-f]{64}$'", name=op.f("ck_visit_notes_hash_hex")
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_visit_notes_room_id_rooms"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["signed_by"], ["users.id"], name=op.f("fk_visit_notes_signed_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["amends_note_id"],
            ["visit_notes.id"],
            name=op.f("fk_visit_notes_amends_note_id_visit_notes"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_notes")),
    )
    op.create_index("uq_visit_notes_room_version", "visit_notes", ["room_id", "version"], unique=True)
    op.create_index(
        "idx_visit_notes_waiting",
        "visit_notes",
        ["created_at"],
        postgresql_where=sa.text("status IN ('pending', 'drafting')"),
    )


def upgrade() -> None:
    _create_tables()
    for table in ("note_templates", "visit_notes"):
        op.execute(
            f"CREATE TRIGGER update_{table}_updated_at BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()"
        )
    op.execute(PROTECT_SIGNED_NOTE)
    op.execute(
        "CREATE TRIGGER trg_visit_notes_protect_signed BEFORE UPDATE ON visit_notes "
        "FOR EACH ROW EXECUTE FUNCTION protect_signed_note()"
    )
    op.drop_constraint(op.f("ck_room_events_event_name_known"), "room_events", type_="check")
    op.create_check_constraint(op.f("ck_room_events_event_name_known"), "room_events", _events_rule(AFTER))
    for role, table, privileges in GRANTS:
        op.execute(f"GRANT {privileges} ON {table} TO {role}")
    for role in (APP, JOBS):
        op.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
    for table, (key, scopes) in NEW_POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        _policy(table, key, scopes)
    for table, (_, (key, scopes)) in WIDENED.items():
        _policy(table, key, scopes)


def downgrade() -> None:
    for table, ((key, scopes), _) in WIDENED.items():
        _policy(table, key, scopes)
    for role, table, privileges in GRANTS:
        op.execute(f"REVOKE {privileges} ON {table} FROM {role}")
    op.drop_constraint(op.f("ck_room_events_event_name_known"), "room_events", type_="check")
    op.create_check_constraint(op.f("ck_room_events_event_name_known"), "room_events", _events_rule(BEFORE))
    op.drop_table("visit_notes")
    op.drop_table("note_templates")
    op.execute("DROP FUNCTION IF EXISTS protect_signed_note()")
