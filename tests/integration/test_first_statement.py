"""A transaction's first statement travels with its BEGIN (meetings.db_scope.first_statement),
checked in libpq's own trace of the protocol messages, on a real connection."""

import tempfile

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import create_engine, exc, text

from meetings.db import proxy_safe_connect_args
from meetings.db_scope import first_statement
from tests.support.connections import backend_of, terminate

SET_SCOPE = sql.SQL("SELECT set_config('app.scope', {}, true)")


def traced(connection):
    """Starts libpq's protocol trace of the connection; returns a function that stops it and gives
    its lines."""
    pgconn = connection.connection.driver_connection.pgconn
    trace = tempfile.TemporaryFile(mode="w+")
    pgconn.trace(trace.fileno())
    pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS | psycopg.pq.Trace.REGRESS_MODE)

    def lines() -> list[str]:
        pgconn.untrace()
        trace.seek(0)
        return trace.read().splitlines()

    return lines


def test_begin_and_the_first_statement_are_one_message_and_one_answer(engine):
    with engine.connect() as connection:
        lines = traced(connection)
        assert first_statement(connection, SET_SCOPE.format("jobs")) == ("jobs",)
        trace = lines()
        connection.rollback()

    first_answer = next(i for i, line in enumerate(trace) if line.startswith("B"))
    sent_before_it = [line for line in trace[:first_answer] if line.startswith("F")]
    assert len(sent_before_it) == 1
    assert (
        "Query" in sent_before_it[0]
        and "BEGIN; SELECT set_config('app.scope', 'jobs', true)" in sent_before_it[0]
    )
    assert not [
        line for line in trace[first_answer:] if line.startswith("F")
    ]  # nothing sent after the answer
    assert sum("ReadyForQuery" in line for line in trace) == 1


def test_the_statement_runs_in_the_transaction_sqlalchemy_commits(engine):
    with engine.connect() as connection:
        first_statement(connection, SET_SCOPE.format("jobs"))
        assert connection.execute(text("SELECT current_setting('app.scope')")).scalar_one() == "jobs"
        connection.commit()
        # transaction-local: the next transaction starts without it
        assert connection.execute(text("SELECT current_setting('app.scope', true)")).scalar_one() in (
            "",
            None,
        )


def test_inside_an_open_transaction_no_second_begin_is_sent(engine):
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        lines = traced(connection)
        first_statement(connection, SET_SCOPE.format("jobs"))
        trace = lines()
        connection.rollback()
    assert not any('"BEGIN"' in line for line in trace)


def test_an_error_in_the_statement_is_sqlalchemys_error_and_fails_the_transaction(engine):
    with engine.connect() as connection:
        with pytest.raises(exc.ProgrammingError) as raised:
            first_statement(connection, sql.SQL("SELECT no_such_function({})").format(1))
        assert isinstance(raised.value.orig, psycopg.errors.UndefinedFunction)
        connection.rollback()
        assert connection.execute(text("SELECT 41 + 1")).scalar_one() == 42


def test_a_connection_that_died_answers_the_unavailable_error_and_the_pool_replaces_it(database_url):
    engine = create_engine(database_url, pool_size=1, max_overflow=0, connect_args=proxy_safe_connect_args())
    try:
        dead = backend_of(engine)
        terminate(database_url, dead)

        with engine.connect() as connection:
            with pytest.raises(exc.OperationalError) as raised:  # the API maps it to 503
                first_statement(connection, SET_SCOPE.format("jobs"))
            assert raised.value.connection_invalidated

        assert backend_of(engine) != dead
    finally:
        engine.dispose()


def test_values_are_quoted_as_literals(engine):
    value = "it's'; SELECT pg_sleep(10); --"
    with engine.connect() as connection:
        assert first_statement(connection, SET_SCOPE.format(value)) == (value,)
        connection.rollback()


def test_a_statement_without_rows_answers_none(engine):
    with engine.connect() as connection:
        assert first_statement(connection, sql.SQL("SELECT 1 WHERE {}").format(False)) is None
        connection.rollback()


def test_a_bounded_session_starts_each_transaction_with_its_scope_and_timeout_in_one_message(engine):
    from sqlalchemy.orm import Session

    from meetings.db_scope import bound_statement_time, set_db_scope

    with engine.connect() as connection:
        lines = traced(connection)
        with Session(bind=connection) as db:
            set_db_scope(db, "jobs")
            bound_statement_time(db, 2500)
            assert db.execute(text("SELECT current_setting('app.scope')")).scalar_one() == "jobs"
            assert db.execute(text("SHOW statement_timeout")).scalar_one() == "2500ms"
            trace = lines()
            db.rollback()

    sent = [line for line in trace if line.startswith("F") and "Query" in line]
    assert "BEGIN; SELECT set_config('app.scope', 'jobs', true)" in sent[0]
    assert "set_config('statement_timeout', '2500', true)" in sent[0]


def test_a_timeout_bound_inside_an_open_transaction_holds_at_once(engine):
    from sqlalchemy.orm import Session

    from meetings.db_scope import bound_statement_time

    with Session(engine) as db:
        db.execute(text("SELECT 1"))
        bound_statement_time(db, 40)
        with pytest.raises(exc.OperationalError, match="statement timeout"):
            db.execute(text("SELECT pg_sleep(2)"))
        db.rollback()
        with pytest.raises(ValueError):
            bound_statement_time(db, 0)
