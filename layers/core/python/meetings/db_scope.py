"""Which tenant rows a session sees under row-level security: the `app.scope` and `app.entity_id`
settings, set transaction-locally at the start of every transaction of the session.

'manager' sees every entity and 'entity' one entity (from the request principal); the narrow paths set
their own scope: 'auth' (resolving a login or a token to a user), 'join' (the public join), 'webhook'
(LiveKit events), 'jobs' (the S3 and scheduled jobs) and 'agent'. A session with no scope sees no row.
A session may also bound its statements' time (`bound_statement_time`); that setting travels in the
same first statement.
"""

import psycopg
from psycopg import errors, pq, sql
from psycopg.adapt import Transformer
from sqlalchemy import Connection, event, exc
from sqlalchemy.orm import Session, SessionTransaction

SCOPES = frozenset({"manager", "entity", "auth", "join", "webhook", "jobs", "agent"})
_INFO_KEY = "db_scope"
_TIMEOUT_KEY = "db_statement_timeout_ms"
_SCOPE = sql.SQL("set_config('app.scope', {}, true), set_config('app.entity_id', {}, true)")
_TIMEOUT = sql.SQL("set_config('statement_timeout', {}, true)")


def set_db_scope(db: Session, scope: str, *, entity_id: int | None = None) -> Session:
    """Scopes the session's transactions, the current one included; returns the session."""
    adopt_db_scope(db, scope, entity_id=entity_id)
    if db.in_transaction():
        first_statement(db.connection(), _settings((scope, entity_id), None))
    return db


def adopt_db_scope(db: Session, scope: str, *, entity_id: int | None = None) -> Session:
    """Records a scope the current transaction already has (the database set it, as request_principal
    does), so that the session's later transactions start with it too; returns the session."""
    if scope not in SCOPES or (scope == "entity") != (entity_id is not None):
        raise ValueError(f"invalid database scope {scope!r} (entity {entity_id!r})")
    db.info[_INFO_KEY] = (scope, entity_id)
    return db


def bound_statement_time(db: Session, milliseconds: int) -> Session:
    """Cancels any statement of the session's transactions, the current one included, that runs longer
    than `milliseconds`. Set transaction-locally with the scope, in the same first statement, so that a
    pooled (or proxied) connection keeps no session state and the bound costs no round trip of its own;
    returns the session."""
    if milliseconds < 1:
        raise ValueError(f"invalid statement timeout {milliseconds!r} ms")
    db.info[_TIMEOUT_KEY] = int(milliseconds)
    if db.in_transaction():
        first_statement(db.connection(), _settings(None, int(milliseconds)))
    return db


def principal_db_scope(principal) -> tuple[str, int | None]:
    """A MANAGER sees every entity, an ENTITY_ADMIN its own (migration 20261201_request_principal says
    the same in SQL)."""
    return ("manager", None) if principal.is_manager else ("entity", principal.entity_id)


def first_statement(connection: Connection, statement: sql.Composable) -> tuple | None:
    """Runs a transaction's first statement and returns its first row.

    psycopg opens a transaction by sending BEGIN and waiting for its answer before it sends the
    statement, and even in pipeline mode it waits for that answer. Sent as one simple-protocol
    message, "BEGIN; <statement>" costs one round trip instead of two, on every request and unit of
    work. The values are therefore literals, quoted by psycopg for this connection. The transaction is
    the one SQLAlchemy commits or rolls back; inside one already open, the statement simply runs.
    """
    if not connection.in_transaction():
        connection.begin()  # so that SQLAlchemy ends what the BEGIN below opens
    driver = connection.connection.driver_connection
    try:
        if driver.info.transaction_status != pq.TransactionStatus.IDLE:
            return driver.execute(statement).fetchone()
        result = driver.pgconn.exec_(b"BEGIN; " + statement.as_bytes(driver))
        if result.status != pq.ExecStatus.TUPLES_OK:
            error = errors.error_from_result(result)
            raise errors.OperationalError(str(error)) if driver.broken else error
    except psycopg.Error as error:
        raise _as_sqlalchemy_error(connection, error) from error
    if not result.ntuples:
        return None
    loader = Transformer(driver)
    loader.set_pgresult(result)
    return loader.load_row(0, tuple)


def _as_sqlalchemy_error(connection: Connection, error: psycopg.Error) -> exc.DBAPIError:
    """What SQLAlchemy makes of a driver error: its own exception class (a lost connection answers the
    API's 503), and a connection that broke is invalidated so that the pool replaces it."""
    disconnected = connection.dialect.is_disconnect(error, connection.connection.driver_connection, None)
    if disconnected:
        connection.invalidate(error)
    # The statement's values are left out of the message, as the engine hides parameters.
    return exc.DBAPIError.instance(
        "BEGIN; <first statement>", None, error, psycopg.Error, connection_invalidated=disconnected
    )


def _settings(scope: tuple[str, int | None] | None, timeout_ms: int | None) -> sql.Composed:
    """One SELECT of the transaction-local settings: the scope and its entity, the statement timeout."""
    settings = []
    if scope is not None:
        name, entity_id = scope
        settings.append(_SCOPE.format(name, "" if entity_id is None else str(entity_id)))
    if timeout_ms is not None:
        settings.append(_TIMEOUT.format(str(timeout_ms)))
    return sql.SQL("SELECT ") + sql.SQL(", ").join(settings)


@event.listens_for(Session, "after_begin")
def _scope_new_transaction(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    scope, timeout_ms = session.info.get(_INFO_KEY), session.info.get(_TIMEOUT_KEY)
    if scope is not None or timeout_ms is not None:
        first_statement(connection, _settings(scope, timeout_ms))
