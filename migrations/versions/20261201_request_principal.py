"""A backoffice request's caller and tenant scope in one statement.

Resolving a bearer token took three statements: the 'auth' scope, the user's row, then the caller's
scope ('manager', or 'entity' with the user's entity). `request_principal` runs the three in order in
the database, so each backoffice request spends one round trip on them instead of three. It runs with
the caller's rights (the policies on users apply as before). Its transaction-local settings outlive the
call: a function's SET clause restores only the setting it names (here `search_path`). An unknown, inactive or outdated token leaves the
session with no scope (no row visible) and returns no row.

Revision ID: 20261201_request_principal
Revises: 20261201_transcript_rendering
Create Date: 2026-12-01
"""

from alembic import op

revision = "20261201_request_principal"
down_revision = "20261201_transcript_rendering"
branch_labels = None
depends_on = None

APP = "meetings_app"
SIGNATURE = "request_principal(integer, integer)"

# Kept in step with meetings.db_scope.principal_db_scope: a MANAGER sees every entity, anyone else their own.
REQUEST_PRINCIPAL = """
CREATE FUNCTION request_principal(p_user_id integer, p_token_version integer)
RETURNS TABLE (user_id integer, user_role text, user_entity_id integer)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pg_catalog.set_config('app.scope', 'auth', true), pg_catalog.set_config('app.entity_id', '', true);
    SELECT u.id, u.role::text, u.entity_id INTO user_id, user_role, user_entity_id
    FROM public.users AS u
    WHERE u.id = p_user_id AND u.active AND u.token_version = p_token_version;
    IF NOT FOUND THEN
        PERFORM pg_catalog.set_config('app.scope', '', true);
        RETURN;
    END IF;
    IF user_role = 'MANAGER' THEN
        PERFORM pg_catalog.set_config('app.scope', 'manager', true);
    ELSE
        PERFORM pg_catalog.set_config('app.scope', 'entity', true),
                pg_catalog.set_config('app.entity_id', coalesce(user_entity_id::text, ''), true);
    END IF;
    RETURN NEXT;
END;
$$
"""


def upgrade() -> None:
    op.execute(REQUEST_PRINCIPAL)
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO {APP}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
