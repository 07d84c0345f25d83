"""Least-privilege roles and row-level security per tenant.

The role that runs the migrations owns the schema. The services connect as one of three roles with
table grants only (no DDL, no TRUNCATE, no UPDATE or DELETE on the event logs): `meetings_app` (the
APIs), `meetings_jobs` (recording finalizer, retention purge, knowledge ingest) and `meetings_agent`.
The roles are created NOLOGIN; whoever provisions credentials (make run, the tests, the migrate
function from the role secrets) gives them LOGIN and a password.

Rows of a tenant's tables are visible only inside a transaction whose `app.scope` allows them
(`set_config(..., true)`): 'manager' sees every entity, 'entity' the one in `app.entity_id`, and the
narrow paths (auth, join, webhook, jobs, agent) the tables listed for them below. No scope, no rows.
Policies are FORCEd, so they hold for the owner too (a superuser still bypasses them).

A finished room is deleted through `delete_finished_room()` (SECURITY DEFINER): its events go with it
by the foreign keys' ON DELETE CASCADE, which PostgreSQL runs as the tables' owner.

Revision ID: 20261201_database_roles
Revises: 20261201_knowledge_hybrid_search
Create Date: 2026-12-01
"""

from alembic import op

revision = "20261201_database_roles"
down_revision = "20261201_knowledge_hybrid_search"
branch_labels = None
depends_on = None

APP, JOBS, AGENT = "meetings_app", "meetings_jobs", "meetings_agent"
ROLES = (APP, JOBS, AGENT)

CRUD = "SELECT, INSERT, UPDATE, DELETE"
READ = "SELECT"
APPEND = "SELECT, INSERT"

GRANTS = {
    APP: {
        "entities": CRUD,
        "departments": CRUD,
        "users": CRUD,
        "professionals": CRUD,
        "professional_entities": CRUD,
        # Chunks are written by the ingest job; `make run` runs that job in the API process.
        "knowledge_base": "SELECT, INSERT, DELETE",
        "knowledge_documents": CRUD,
        "login_throttles": CRUD,
        "participants": CRUD,
        "rooms": "SELECT, INSERT, UPDATE",  # deleted through delete_finished_room()
        "room_participants": CRUD,
        "room_events": APPEND,
        "agent_session_events": READ,
        "agent_usage": "SELECT, UPDATE",  # sessions are closed when a room ends
        "recordings": "SELECT, INSERT, UPDATE",
        "livekit_webhook_receipts": "SELECT, INSERT",
        "transcript_segments": READ,
        # Endpoints are managed and messages written with each change; `make run` dispatches and purges
        # the delivery log in the API process.
        "webhook_endpoints": CRUD,
        "webhook_messages": "SELECT, INSERT, DELETE",
        "webhook_deliveries": CRUD,
        "webhook_attempts": "SELECT, INSERT, DELETE",
    },
    JOBS: {
        "entities": READ,
        "departments": READ,
        "rooms": READ,
        "recordings": "SELECT, UPDATE",
        "knowledge_documents": "SELECT, INSERT, UPDATE",
        "knowledge_base": "SELECT, INSERT, DELETE",
        # The sweep and the dispatcher; the retention purge trims the delivery log.
        "webhook_endpoints": "SELECT, UPDATE",
        "webhook_messages": "SELECT, INSERT, DELETE",
        "webhook_deliveries": "SELECT, INSERT, UPDATE, DELETE",
        "webhook_attempts": "SELECT, INSERT, DELETE",
    },
    AGENT: {
        "entities": READ,
        "departments": READ,
        "rooms": READ,
        "participants": "SELECT, INSERT",
        "room_participants": "SELECT, INSERT, UPDATE",
        "agent_usage": "SELECT, INSERT, UPDATE",
        "agent_session_events": APPEND,
        "knowledge_base": READ,
        "knowledge_documents": READ,  # how many chunks a search would scan
        "transcript_segments": APPEND,
    },
}

# Scopes that see every row of a table besides 'manager'. `key` is the column naming the tenant, or
# None for tables whose rows belong to the tenant of their room.
AUTH, JOIN, WEBHOOK, JOB, AGENT_SCOPE = "auth", "join", "webhook", "jobs", "agent"
TENANT_TABLES = {
    "entities": ("id", (JOIN, WEBHOOK, JOB, AGENT_SCOPE)),
    "departments": ("entity_id", (JOIN, WEBHOOK, JOB, AGENT_SCOPE)),
    "users": ("entity_id", (AUTH,)),
    "professional_entities": ("entity_id", ()),
    "knowledge_base": ("entity_id", (JOB, AGENT_SCOPE)),
    "knowledge_documents": ("entity_id", (JOB, AGENT_SCOPE)),
    "rooms": ("entity_id", (JOIN, WEBHOOK, JOB, AGENT_SCOPE)),
    "agent_usage": ("entity_id", (JOIN, WEBHOOK, AGENT_SCOPE)),
    "room_participants": (None, (JOIN, WEBHOOK, AGENT_SCOPE)),
    "room_events": (None, (JOIN, WEBHOOK)),
    "agent_session_events": (None, (AGENT_SCOPE,)),
    "recordings": (None, (WEBHOOK, JOB)),
    "transcript_segments": (None, (AGENT_SCOPE,)),
    # Every path that changes a room emits its event to the entity's endpoints (meetings/notifications).
    "webhook_endpoints": ("entity_id", (JOIN, WEBHOOK, JOB)),
    "webhook_messages": ("entity_id", (JOIN, WEBHOOK, JOB)),
}

SCOPE = "(SELECT current_setting('app.scope', true))"
ENTITY = "(SELECT nullif(current_setting('app.entity_id', true), '')::integer)"


def tenant_condition(table: str) -> str:
    key, scopes = TENANT_TABLES[table]
    sees_all = ", ".join(f"'{scope}'" for scope in ("manager", *scopes))
    if key is None:  # the row's room decides, through the rooms policy itself
        own = f"({SCOPE} = 'entity' AND EXISTS (SELECT 1 FROM rooms WHERE rooms.id = {table}.room_id))"
    else:
        own = f"({SCOPE} = 'entity' AND {table}.{key} = {ENTITY})"
    return f"{SCOPE} IN ({sees_all}) OR {own}"


DELETE_FINISHED_ROOM = """
CREATE FUNCTION delete_finished_room(p_room_id varchar) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    -- Policies are forced on the owner too: the caller's scope still decides which rooms exist.
    DELETE FROM rooms
    WHERE id = p_room_id
      AND status IN ('COMPLETED', 'CANCELED')
      AND NOT EXISTS (SELECT 1 FROM recordings WHERE recordings.room_id = rooms.id)
      AND NOT EXISTS (SELECT 1 FROM agent_usage WHERE agent_usage.room_id = rooms.id);
    RETURN FOUND;
END;
$$
"""


# A question one tenant may ask about others, answered with a yes or no and nothing else: the body lifts
# the scope for its one query and puts the caller's back. (Not a `SET app.scope` clause: for a custom
# setting PostgreSQL allows that only to a superuser or to a role granted SET on it, and the RDS master
# user that runs the migrations is neither.)
def _with_every_entity(name: str, arguments: str, question: str) -> str:
    return f"""
CREATE FUNCTION {name}({arguments}) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    caller_scope text := coalesce(current_setting('app.scope', true), '');
    answer boolean;
BEGIN
    PERFORM set_config('app.scope', 'manager', true);
    SELECT {question} INTO answer;
    PERFORM set_config('app.scope', caller_scope, true);
    RETURN answer;
END;
$$
"""


PROFESSIONAL_LINKED_ELSEWHERE = _with_every_entity(
    "professional_linked_elsewhere",
    "p_professional_id integer, p_entity_id integer",
    """EXISTS (
        SELECT 1 FROM professional_entities
        WHERE professional_id = p_professional_id AND entity_id <> p_entity_id AND active
    )""",
)
PARTICIPANT_SHARED_ELSEWHERE = _with_every_entity(
    "participant_shared_elsewhere",
    "p_participant_id integer, p_entity_id integer",
    """EXISTS (
        SELECT 1 FROM room_participants rp JOIN rooms r ON r.id = rp.room_id
        WHERE rp.participant_id = p_participant_id AND r.entity_id IS DISTINCT FROM p_entity_id
    ) OR EXISTS (
        SELECT 1 FROM participants p JOIN professional_entities pe ON pe.professional_id = p.professional_id
        WHERE p.id = p_participant_id AND pe.entity_id <> p_entity_id AND pe.active
    )""",
)
NARROW_FUNCTIONS = {
    "delete_finished_room(varchar)": DELETE_FINISHED_ROOM,
    "professional_linked_elsewhere(integer, integer)": PROFESSIONAL_LINKED_ELSEWHERE,
    "participant_shared_elsewhere(integer, integer)": PARTICIPANT_SHARED_ELSEWHERE,
}


def _create_roles() -> None:
    for role in ROLES:
        op.execute(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN "
            f"CREATE ROLE {role} NOLOGIN; END IF; END $$"
        )
        # A role created earlier by hand must not carry powers that skip grants or policies.
        op.execute(
            f"DO $$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}' AND "
            "(rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb)) THEN "
            f"RAISE EXCEPTION 'role {role} must not be a superuser, bypass RLS or create roles'; END IF; END $$"
        )
        op.execute(
            f"DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO {role}', current_database()); END $$"
        )
        op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")


def upgrade() -> None:
    op.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    _create_roles()
    for role, tables in GRANTS.items():
        for table, privileges in tables.items():
            op.execute(f"GRANT {privileges} ON {table} TO {role}")
        op.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
    for table in TENANT_TABLES:
        condition = tenant_condition(table)
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_rows ON {table} USING ({condition}) WITH CHECK ({condition})")
    for signature, definition in NARROW_FUNCTIONS.items():
        op.execute(definition)
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {APP}")


def downgrade() -> None:
    for signature in NARROW_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    for table in reversed(TENANT_TABLES):
        op.execute(f"DROP POLICY IF EXISTS tenant_rows ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    for role in ROLES:
        op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
        op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}")
        op.execute(f"REVOKE ALL ON SCHEMA public FROM {role}")
        op.execute(
            f"DO $$ BEGIN EXECUTE format('REVOKE ALL ON DATABASE %I FROM {role}', current_database()); END $$"
        )
        # Roles are cluster-wide: another database of the cluster may still grant them something.
        op.execute(
            f"DO $$ BEGIN DROP ROLE IF EXISTS {role}; "
            f"EXCEPTION WHEN dependent_objects_still_exist THEN NULL; END $$"
        )
    op.execute("GRANT CREATE ON SCHEMA public TO PUBLIC")
