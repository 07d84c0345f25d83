"""The service roles: what they may not do, the refusal to serve as a powerful role, the local logins,
the one narrow way to delete a room, and connections that leave nothing behind for RDS Proxy to pin."""

import stat

import pytest
from sqlalchemy import create_engine, make_url, pool, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from meetings.db import _refuse_powerful_role_on_first_connect, proxy_safe_connect_args
from meetings.db_roles import (
    AGENT_ROLE,
    APP_ROLE,
    JOBS_ROLE,
    SERVING_ROLES,
    local_login_url,
    refuse_powerful_roles,
    role_powers,
)
from meetings.db_scope import set_db_scope
from meetings.models import metadata
from meetings.secretary.events.models import RoomEvent, RoomEventName
from meetings.secretary.events.service import append_room_event
from meetings.secretary.rooms.models import RoomStatus
from meetings.settings import ConfigurationError
from tests.factories import make_entity, make_room
from tests.support.roles import acting_as

EVENT_LOGS = ("room_events", "agent_session_events")


def privilege(db, role: str, table: str, kind: str) -> bool:
    return db.execute(
        text("SELECT has_table_privilege(:role, :table, :kind)"), {"role": role, "table": table, "kind": kind}
    ).scalar()


@pytest.mark.parametrize("role", SERVING_ROLES)
def test_service_roles_cannot_truncate_rewrite_logs_or_change_the_schema(db, role):
    for table in metadata.tables:
        assert not privilege(db, role, table, "TRUNCATE"), table
        assert not privilege(db, role, table, "TRIGGER"), table
        assert not privilege(db, role, table, "REFERENCES"), table
    for table in EVENT_LOGS:
        assert not privilege(db, role, table, "UPDATE") and not privilege(db, role, table, "DELETE")
    assert not db.execute(
        text("SELECT has_schema_privilege(:role, 'public', 'CREATE')"), {"role": role}
    ).scalar()
    owned = db.execute(
        text("SELECT count(*) FROM pg_class WHERE pg_has_role(:role, relowner, 'USAGE')"), {"role": role}
    ).scalar()
    assert owned == 0
    with acting_as(db, role):
        savepoint = db.begin_nested()
        with pytest.raises(ProgrammingError, match="permission denied"):
            db.execute(text("CREATE TABLE sneaky (id int)"))
        savepoint.rollback()


def test_the_suite_serves_as_the_application_role(db):
    assert db.execute(text("SELECT session_user, current_user")).one() == (APP_ROLE, APP_ROLE)


def test_only_the_api_may_call_the_narrow_functions(db):
    for role, allowed in ((APP_ROLE, True), (JOBS_ROLE, False), (AGENT_ROLE, False)):
        assert (
            db.execute(
                text("SELECT has_function_privilege(:role, 'delete_finished_room(varchar)', 'EXECUTE')"),
                {"role": role},
            ).scalar()
            is allowed
        )


@pytest.mark.parametrize(
    "question", ["professional_linked_elsewhere(1, 1)", "participant_shared_elsewhere(1, 1)"]
)
def test_a_yes_or_no_question_about_other_tenants_leaves_the_callers_scope_as_it_was(db, question):
    entity = make_entity(db).id
    set_db_scope(db, "entity", entity_id=entity)

    db.execute(text(f"SELECT {question}")).scalar_one()

    assert db.execute(
        text("SELECT current_setting('app.scope', true), current_setting('app.entity_id', true)")
    ).one() == ("entity", str(entity))


def test_a_room_is_deleted_only_finished_and_through_the_narrow_function(db):
    set_db_scope(db, "manager")
    active = make_room(db, status=RoomStatus.ACTIVE)
    finished = make_room(db, status=RoomStatus.COMPLETED)
    append_room_event(db=db, room_id=finished.id, event_name=RoomEventName.ROOM_ENDED, data={})
    db.flush()
    savepoint = db.begin_nested()
    with pytest.raises(ProgrammingError, match="permission denied for table rooms"):
        db.execute(text("DELETE FROM rooms WHERE id = :id"), {"id": finished.id})
    savepoint.rollback()
    delete = text("SELECT delete_finished_room(:id)")
    assert db.execute(delete, {"id": active.id}).scalar() is False
    assert db.execute(delete, {"id": finished.id}).scalar() is True
    # The room's log went with it, by the foreign key's cascade, which no service role could do itself.
    assert db.query(RoomEvent).filter_by(room_id=finished.id).count() == 0


def test_a_superuser_or_owner_is_refused_even_after_set_role(database_url):
    owner = create_engine(database_url, poolclass=pool.NullPool)
    _refuse_powerful_role_on_first_connect(owner)
    with pytest.raises(ConfigurationError, match="superuser"), owner.connect():
        pass
    plain = create_engine(database_url, poolclass=pool.NullPool)
    with plain.connect() as connection:
        connection.execute(text(f"SET ROLE {APP_ROLE}"))
        with pytest.raises(ConfigurationError, match="superuser"):
            refuse_powerful_roles(role_powers(connection))  # the session user could RESET ROLE
    owner.dispose()
    plain.dispose()


def test_a_local_login_is_a_real_login_with_a_kept_password(database_url, tmp_path):
    url = local_login_url(database_url, AGENT_ROLE, tmp_path)
    password_file = tmp_path / "db-roles" / AGENT_ROLE
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert make_url(url).password == password_file.read_text()
    assert local_login_url(database_url, AGENT_ROLE, tmp_path) == url  # generated once
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT session_user")).scalar() == AGENT_ROLE
        refuse_powerful_roles(role_powers(connection))  # serving as it is allowed
    engine.dispose()


def test_a_login_is_given_as_a_verifier_and_its_password_is_never_sent(database_url, tmp_path):
    from sqlalchemy import Engine, event

    sent = []

    def record(connection, cursor, statement, *rest) -> None:
        sent.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        url = local_login_url(database_url, AGENT_ROLE, tmp_path)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    password = make_url(url).password
    assert [statement for statement in sent if "ALTER ROLE" in statement]
    assert all("SCRAM-SHA-256$4096:" in statement for statement in sent if "ALTER ROLE" in statement)
    assert not [statement for statement in sent if password in statement]
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:  # the verifier is the password's
        assert connection.execute(text("SELECT session_user")).scalar() == AGENT_ROLE
    engine.dispose()


def test_the_engine_never_prepares_statements(engine):
    assert proxy_safe_connect_args() == {"prepare_threshold": None}
    with engine.connect() as connection:
        assert connection.connection.driver_connection.prepare_threshold is None


LEFTOVERS = """
    SELECT (SELECT count(*) FROM pg_prepared_statements),
           (SELECT count(*) FROM pg_settings WHERE source = 'session'),
           coalesce(current_setting('app.scope', true), ''),
           coalesce(current_setting('app.entity_id', true), '')
"""


def test_requests_leave_no_prepared_statement_or_session_setting_behind(engine, owner_engine, auth_headers):
    """Real requests on the real engine (no test session): through RDS Proxy, a prepared statement or a
    session-level setting would pin the client connection to one database connection."""
    from fastapi.testclient import TestClient

    from meetings.manager.users.models import User, UserRole
    from meetings.secretary.app import app
    from tests.factories import make_entity, make_user

    with set_db_scope(Session(engine, expire_on_commit=False), "manager") as setup:
        entity = make_entity(setup)
        admin = make_user(setup, role=UserRole.ENTITY_ADMIN, entity=entity)
        setup.commit()
    try:
        with TestClient(app) as client:
            for _ in range(12):  # past psycopg's default threshold of five executions, per connection
                assert client.get("/v1/rooms", headers=auth_headers(admin)).status_code == 200
        for _ in range(12):  # committed units of work too: psycopg forgets what it prepared on rollback
            with set_db_scope(Session(engine), "entity", entity_id=entity.id) as session:
                session.execute(text("SELECT count(*) FROM rooms WHERE status = 'ACTIVE'")).scalar()
                session.commit()
        connections = [engine.connect() for _ in range(2)]  # the pool's two connections
        try:
            for connection in connections:
                raw = connection.connection.driver_connection
                assert raw.execute(LEFTOVERS).fetchone() == (0, 0, "", "")
        finally:
            for connection in connections:
                connection.close()
    finally:
        with Session(owner_engine) as cleanup:
            cleanup.query(User).filter_by(id=admin.id).delete()
            cleanup.execute(text("DELETE FROM entities WHERE id = :id"), {"id": entity.id})
            cleanup.commit()
