"""Which tenant rows a session sees under row-level security: the `app.scope` and `app.entity_id`
settings, set transaction-locally at the start of every transaction of the session.

'manager' sees every entity and 'entity' one entity (from the request principal); the narrow paths set
their own scope: 'auth' (resolving a login or a token to a user), 'join' (the public join), 'webhook'
(LiveKit events), 'jobs' (the S3 and scheduled jobs) and 'agent'. A session with no scope sees no row.
A session may also bound its statements' time (`bound_statement_time`); that setting travels in the
same first statement. A statement read through `fetch_rows` that opens its transaction travels with
them too, in one pipeline.
"""

import re
import select

import psycopg
from psycopg import errors, pq, sql
from psycopg.adapt import PyFormat, Transformer
from sqlalchemy import Connection, event, exc
from sqlalchemy.orm import Session, SessionTransaction

SCOPES = frozenset({"manager", "entity", "auth", "join", "webhook", "jobs", "agent"})
_INFO_KEY = "db_scope"
_TIMEOUT_KEY = "db_statement_timeout_ms"
# While fetch_rows opens a transaction, the settings wait for its statement instead of going first.
_DEFER_KEY = "db_scope_defer"
_DEFERRED_KEY = "db_scope_deferred"
_NAMED_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
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
            raise _result_error(result, driver)
    except psycopg.Error as error:
        raise _as_sqlalchemy_error(connection, error) from error
    if not result.ntuples:
        return None
    loader = Transformer(driver)
    loader.set_pgresult(result)
    return loader.load_row(0, tuple)


def _result_error(result, driver: psycopg.Connection) -> psycopg.Error:
    """The error a failed result stands for; a connection that broke on the way is an OperationalError."""
    error = errors.error_from_result(result)
    return errors.OperationalError(str(error)) if driver.broken else error


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
    if scope is None and timeout_ms is None:
        return
    settings = _settings(scope, timeout_ms)
    idle = connection.connection.driver_connection.info.transaction_status == pq.TransactionStatus.IDLE
    if session.info.get(_DEFER_KEY) and idle:
        session.info[_DEFERRED_KEY] = settings
        return
    first_statement(connection, settings)


def fetch_rows(db: Session, query: str, params: dict, *, prepare=None) -> list[tuple]:
    """The rows of a psycopg statement (`%(name)s` placeholders) in the session's transaction.

    A statement that opens the transaction is sent with its BEGIN and the session's settings in one
    pipeline: one round trip where `first_statement` and the statement would take two, its values
    still bound parameters (they stay out of the statement's text, and of the server's log with it).
    `prepare(driver_connection)` runs first, on the connection the statement will use (a query it
    makes opens the transaction the ordinary way). DATABASE_PIPELINE_FIRST_SEARCH=false sends the
    settings first instead, as every other transaction does.
    """
    from meetings.settings import get_settings

    db.info[_DEFER_KEY] = get_settings().database_pipeline_first_search
    try:
        connection = db.connection()
    finally:
        db.info.pop(_DEFER_KEY, None)
        settings = db.info.pop(_DEFERRED_KEY, None)
    driver = connection.connection.driver_connection
    if prepare is not None:
        prepare(driver)
    idle = driver.info.transaction_status == pq.TransactionStatus.IDLE
    if settings is not None and idle and "%" not in _NAMED_PLACEHOLDER.sub("", query):
        return _pipelined(connection, settings, query, params)
    if settings is not None:
        first_statement(connection, settings)
    return driver.execute(query, params).fetchall()


def _pipelined(connection: Connection, settings: sql.Composable, query: str, params: dict) -> list[tuple]:
    """BEGIN, the settings and the statement in one pipeline, then its rows."""
    driver = connection.connection.driver_connection
    names = _NAMED_PLACEHOLDER.findall(query)
    positions = {name: number for number, name in enumerate(dict.fromkeys(names), start=1)}
    statement = _NAMED_PLACEHOLDER.sub(lambda match: f"${positions[match[1]]}", query).encode()
    values = Transformer(driver)
    dumped = values.dump_sequence([params[name] for name in positions], [PyFormat.AUTO] * len(positions))
    pgconn = driver.pgconn
    if not connection.in_transaction():
        connection.begin()
    try:
        pgconn.enter_pipeline_mode()
        try:
            pgconn.send_query_params(b"BEGIN", None)
            pgconn.send_query_params(settings.as_bytes(driver), None)
            pgconn.send_query_params(
                statement, dumped, param_types=values.types, param_formats=values.formats
            )
            pgconn.pipeline_sync()
            results = _pipeline_results(pgconn)
        finally:
            if pgconn.pipeline_status != pq.PipelineStatus.OFF and pgconn.status == pq.ConnStatus.OK:
                try:
                    pgconn.exit_pipeline_mode()
                except psycopg.Error:
                    driver.close()  # left mid-pipeline it can serve nothing else: the pool replaces it
    except psycopg.Error as error:
        raise _as_sqlalchemy_error(connection, error) from error
    failed = next((result for result in results if result.status == pq.ExecStatus.FATAL_ERROR), None)
    if failed is not None:
        raise _as_sqlalchemy_error(connection, _result_error(failed, driver))
    rows = results[-1]
    values.set_pgresult(rows)
    return values.load_rows(0, rows.ntuples, tuple)


def _pipeline_results(pgconn) -> list:
    """Sends what the pipeline holds and reads every result up to its sync point."""
    while pgconn.flush():
        readable, _, _ = select.select([pgconn.socket], [pgconn.socket], [])
        if readable:
            pgconn.consume_input()
    results = []
    while True:
        while pgconn.is_busy():
            select.select([pgconn.socket], [], [])
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:  # the end of one statement's results
            if pgconn.status != pq.ConnStatus.OK:
                raise errors.OperationalError("the connection was lost during the pipeline")
            continue
        if result.status == pq.ExecStatus.PIPELINE_SYNC:
            return results
        results.append(result)
