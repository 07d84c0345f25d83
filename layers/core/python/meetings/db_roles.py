"""The database roles the services connect as, the check that refuses a powerful one, and the logins
that make run and the tests give those roles (see docs/database-roles.md)."""

import secrets
from pathlib import Path

from sqlalchemy import Connection, create_engine, make_url, pool, text

from meetings.settings import ConfigurationError

APP_ROLE = "meetings_app"  # the APIs: manager, secretary, LiveKit webhook, knowledge search
JOBS_ROLE = "meetings_jobs"  # recording finalizer, retention purge, knowledge ingest
AGENT_ROLE = "meetings_agent"  # the meeting agent
SERVING_ROLES = (APP_ROLE, JOBS_ROLE, AGENT_ROLE)

ROLE_POWERS_SQL = """
    SELECT r.rolname, r.rolsuper, r.rolbypassrls,
           EXISTS (SELECT 1 FROM pg_class c
                   WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
                     AND pg_has_role(r.oid, c.relowner, 'USAGE')) AS owns_tables
    FROM pg_roles r WHERE r.rolname IN (session_user, current_user)
"""


def refuse_powerful_roles(rows) -> None:
    """Refuses to serve as a superuser, a role that bypasses row security, or an owner of the tables
    (`rows` from ROLE_POWERS_SQL).

    The session user counts as well as the current one: a superuser session that `SET ROLE`d to the
    application role could `RESET ROLE` again.
    """
    for name, superuser, bypass_rls, owns_tables in rows:
        if superuser or bypass_rls or owns_tables:
            power = (
                "a superuser" if superuser else "exempt from row security" if bypass_rls else "a table owner"
            )
            raise ConfigurationError(
                f"the database role {name!r} is {power}: serving processes connect as one of "
                f"{', '.join(SERVING_ROLES)} (see docs/database-roles.md)"
            )


def role_powers(connection: Connection) -> list:
    return connection.execute(text(ROLE_POWERS_SQL)).all()


def _set_login(connection: Connection, role: str, password: str) -> None:
    """ALTER ROLE ... LOGIN PASSWORD with the password's SCRAM-SHA-256 verifier, computed here by libpq
    (as psql's \\password does): the statement's text is what a failed statement's log line and
    pg_stat_statements keep, and it never holds the password itself. PostgreSQL stores a verifier it
    is given as it is."""
    from psycopg import sql

    driver = connection.connection.driver_connection
    verifier = driver.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()
    statement = sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(verifier))
    connection.exec_driver_sql(statement.as_string(driver))


def local_login_url(owner_url: str, role: str, data_dir: str | Path) -> str:
    """Gives `role` a login with a password generated once and kept under `data_dir` (mode 0600), and
    returns the URL to connect as it. `owner_url` must be allowed to alter roles (the migrator)."""
    if role not in SERVING_ROLES:
        raise ValueError(f"unknown serving role {role!r}")
    path = Path(data_dir) / "db-roles" / role
    if path.exists():
        password = path.read_text().strip()
    else:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        password = secrets.token_urlsafe(24)
        path.touch(mode=0o600)
        path.write_text(password)
    engine = create_engine(owner_url, poolclass=pool.NullPool)
    try:
        with engine.begin() as connection:
            _set_login(connection, role, password)
    finally:
        engine.dispose()
    return make_url(owner_url).set(username=role, password=password).render_as_string(hide_password=False)


def provision_logins(connection: Connection, credentials: dict[str, str]) -> list[str]:
    """First deployment: gives each role of `credentials` (role -> password, from its secret) a login.

    A role that can already log in is left alone: from then on its secret's rotation owns the password.
    """
    provisioned = []
    for role, password in credentials.items():
        if role not in SERVING_ROLES:
            raise ValueError(f"unknown serving role {role!r}")
        can_login = connection.execute(
            text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :role"), {"role": role}
        ).scalar()
        if can_login is False:
            _set_login(connection, role, password)
            provisioned.append(role)
    return provisioned
