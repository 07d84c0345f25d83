"""A statement that opens its transaction travels with BEGIN and the session's settings in one pipeline
(meetings.db_scope.fetch_rows), checked in libpq's own trace of the protocol messages."""

import psycopg
import pytest
from sqlalchemy import create_engine, exc, text
from sqlalchemy.orm import Session

from meetings.db import proxy_safe_connect_args
from meetings.db_scope import bound_statement_time, fetch_rows, set_db_scope
from meetings.settings import get_settings
from tests.integration.test_first_statement import traced
from tests.support.connections import backend_of, terminate

SETTINGS = "SELECT current_setting('app.scope'), current_setting('app.entity_id'), %(asked)s::text"


def sent_before_the_first_answer(trace: list[str]) -> list[str]:
    first_answer = next(i for i, line in enumerate(trace) if line.startswith("B"))
    return [line for line in trace[:first_answer] if line.startswith("F")]


def test_begin_the_scope_and_the_statement_are_one_round_trip_with_the_values_bound(engine):
    with engine.connect() as connection:
        lines = traced(connection)
        with Session(bind=connection) as db:
            set_db_scope(db, "entity", entity_id=42)
            assert fetch_rows(db, SETTINGS, {"asked": "a patient's words"}) == [
                ("entity", "42", "a patient's words")
            ]
            trace = lines()
            db.rollback()

    sent = sent_before_the_first_answer(trace)
    assert [line.split("\t")[2] for line in sent if "Parse" in line or "Sync" in line][-1] == "Sync"
    parsed = [line for line in sent if "\tParse\t" in line]
    assert '"BEGIN"' in parsed[0]
    assert "set_config('app.scope', 'entity', true), set_config('app.entity_id', '42', true)" in parsed[1]
    assert "$1::text" in parsed[2]
    assert not any("a patient's words" in line for line in parsed)  # a bound value, not in the text
    assert not [line for line in trace[len(sent) :] if line.startswith("F")]  # nothing sent after
    assert sum("ReadyForQuery" in line for line in trace) == 1


def test_the_transaction_it_opens_is_the_one_the_session_commits_or_rolls_back(engine):
    with Session(engine) as db:
        set_db_scope(db, "jobs")
        fetch_rows(db, SETTINGS, {"asked": "x"})
        assert db.execute(text("SELECT current_setting('app.scope')")).scalar_one() == "jobs"
        driver = db.connection().connection.driver_connection
        assert driver.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        assert driver.pgconn.pipeline_status == psycopg.pq.PipelineStatus.OFF
        db.rollback()
        assert driver.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        # transaction-local: the next transaction starts with the scope again, and with nothing else
        assert fetch_rows(db, SETTINGS, {"asked": "y"}) == [("jobs", "", "y")]
        db.rollback()


def test_inside_an_open_transaction_the_statement_simply_runs(engine):
    with engine.connect() as connection:
        with Session(bind=connection) as db:
            set_db_scope(db, "jobs")
            db.execute(text("SELECT 1"))
            lines = traced(connection)
            assert fetch_rows(db, SETTINGS, {"asked": "z"}) == [("jobs", "", "z")]
            trace = lines()
            db.rollback()
    assert not any('"BEGIN"' in line for line in trace)
    assert not any("set_config" in line for line in trace)


def test_a_session_without_settings_sends_no_settings(engine):
    with Session(engine) as db:
        assert fetch_rows(db, "SELECT %(value)s::int + 1", {"value": 41}) == [(42,)]
        db.rollback()


def test_a_prepare_step_that_queries_still_leaves_the_scope_before_the_statement(engine):
    looked_up = []

    def prepare(driver) -> None:
        looked_up.append(driver.execute("SELECT 'vector'::regtype::oid").fetchone()[0])

    with Session(engine) as db:
        set_db_scope(db, "agent")
        assert fetch_rows(db, SETTINGS, {"asked": "q"}, prepare=prepare) == [("agent", "", "q")]
        db.rollback()
    assert looked_up


def test_an_error_in_the_statement_is_sqlalchemys_error_and_the_session_goes_on(engine):
    with Session(engine) as db:
        set_db_scope(db, "jobs")
        with pytest.raises(exc.ProgrammingError) as raised:
            fetch_rows(db, "SELECT no_such_function(%(value)s)", {"value": 1})
        assert isinstance(raised.value.orig, psycopg.errors.UndefinedFunction)
        db.rollback()
        assert fetch_rows(db, SETTINGS, {"asked": "again"}) == [("jobs", "", "again")]
        db.rollback()


def test_the_sessions_statement_time_bound_holds_for_the_statement(engine):
    with Session(engine) as db:
        set_db_scope(db, "jobs")
        bound_statement_time(db, 50)
        with pytest.raises(exc.OperationalError, match="statement timeout"):
            fetch_rows(db, "SELECT pg_sleep(%(seconds)s)", {"seconds": 2})
        db.rollback()


def test_a_connection_that_died_answers_the_unavailable_error_and_the_pool_replaces_it(database_url):
    engine = create_engine(database_url, pool_size=1, max_overflow=0, connect_args=proxy_safe_connect_args())
    try:
        dead = backend_of(engine)
        terminate(database_url, dead)
        with Session(engine) as db:
            set_db_scope(db, "jobs")
            with pytest.raises(exc.OperationalError) as raised:
                fetch_rows(db, SETTINGS, {"asked": "x"})
            assert raised.value.connection_invalidated
        assert backend_of(engine) != dead
    finally:
        engine.dispose()


def test_turned_off_the_settings_go_first_in_a_round_trip_of_their_own(engine, monkeypatch):
    monkeypatch.setenv("DATABASE_PIPELINE_FIRST_SEARCH", "false")
    get_settings.cache_clear()
    try:
        with engine.connect() as connection:
            lines = traced(connection)
            with Session(bind=connection) as db:
                set_db_scope(db, "jobs")
                assert fetch_rows(db, SETTINGS, {"asked": "w"}) == [("jobs", "", "w")]
                trace = lines()
                db.rollback()
    finally:
        get_settings.cache_clear()
    sent = sent_before_the_first_answer(trace)
    assert len(sent) == 1 and "BEGIN; SELECT set_config('app.scope', 'jobs', true)" in sent[0]
    assert sum("ReadyForQuery" in line for line in trace) == 2


def test_a_statement_with_a_literal_percent_goes_the_ordinary_way(engine):
    with engine.connect() as connection:
        lines = traced(connection)
        with Session(bind=connection) as db:
            set_db_scope(db, "jobs")
            assert fetch_rows(db, "SELECT %(value)s::text || '%%'", {"value": "50"}) == [("50%",)]
            trace = lines()
            db.rollback()
    assert sum("ReadyForQuery" in line for line in trace) == 2  # the settings first, then the statement
