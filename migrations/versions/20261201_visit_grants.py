"""Grants and row-level security for the visit's tables (consent, receipts) and the retention purge's
new work (deleting a room's transcript and consent records, writing the receipt and its room event).

Revision ID: 20261201_visit_grants
Revises: 20261201_retention_receipts
Create Date: 2026-12-01
"""

from alembic import op

revision = "20261201_visit_grants"
down_revision = "20261201_retention_receipts"
branch_labels = None
depends_on = None

APP, JOBS, AGENT = "meetings_app", "meetings_jobs", "meetings_agent"
SCOPE = "(SELECT current_setting('app.scope', true))"
ENTITY = "(SELECT nullif(current_setting('app.entity_id', true), '')::integer)"

GRANTS = [
    (APP, "consent_texts", "SELECT, INSERT"),
    (APP, "consent_records", "SELECT, INSERT"),
    (APP, "retention_receipts", "SELECT"),
    (JOBS, "transcript_segments", "SELECT, DELETE"),
    (JOBS, "consent_records", "SELECT, DELETE"),
    (JOBS, "retention_receipts", "SELECT, INSERT"),
    (JOBS, "room_events", "SELECT, INSERT"),
    (JOBS, "participants", "SELECT"),
    (AGENT, "consent_records", "SELECT"),
]
# Locking a due room (SELECT ... FOR UPDATE SKIP LOCKED) needs UPDATE on one column; the job writes none.
JOBS_ROOM_LOCK = "GRANT UPDATE (updated_at) ON rooms TO meetings_jobs"

# (table, tenant column or None for "the row's room decides", scopes that see every row besides manager)
NEW_POLICIES = {
    "consent_texts": ("entity_id", ("join",)),
    "consent_records": (None, ("join", "webhook", "jobs", "agent")),
    "retention_receipts": (None, ("jobs",)),
}
# Existing policies the purge now needs to see through (recreated with 'jobs' added).
WIDENED = {
    "transcript_segments": ((None, ("agent",)), (None, ("agent", "jobs"))),
    "room_events": ((None, ("join", "webhook")), (None, ("join", "webhook", "jobs"))),
}


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


def upgrade() -> None:
    for role, table, privileges in GRANTS:
        op.execute(f"GRANT {privileges} ON {table} TO {role}")
    op.execute(JOBS_ROOM_LOCK)
    for role in (APP, JOBS, AGENT):
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
    for table in NEW_POLICIES:
        op.execute(f"DROP POLICY IF EXISTS tenant_rows ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("REVOKE UPDATE (updated_at) ON rooms FROM meetings_jobs")
    for role, table, privileges in GRANTS:
        op.execute(f"REVOKE {privileges} ON {table} FROM {role}")
