"""The request's one commit: after the route returns, before the response is sent, on a real connection."""

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import text

from meetings.api.app import create_app
from meetings.api.database import DbSession
from meetings.api.errors import register_constraint_error
from meetings.errors import Conflict, NotFound

PROBE_TABLE = "transaction_boundary_probe"


@pytest.fixture
def probe_table(owner_engine):
    """A committed table whose uniqueness is checked only at COMMIT (deferred), dropped afterwards;
    created by the owner (the service role has no DDL) and writable by the service role."""
    with owner_engine.begin() as connection:
        connection.execute(
            text(
                f"CREATE TABLE {PROBE_TABLE} (value int, CONSTRAINT uq_probe_value UNIQUE (value) "
                "DEFERRABLE INITIALLY DEFERRED)"
            )
        )
        connection.execute(text(f"GRANT SELECT, INSERT ON {PROBE_TABLE} TO meetings_app"))
    register_constraint_error("uq_probe_value", Conflict("That value is taken.", code="value_taken"))
    yield
    with owner_engine.begin() as connection:
        connection.execute(text(f"DROP TABLE {PROBE_TABLE}"))


def probe_values(engine) -> list[int]:
    with engine.connect() as connection:
        return list(connection.execute(text(f"SELECT value FROM {PROBE_TABLE} ORDER BY value")).scalars())


@pytest.fixture
def client(probe_table):
    router = APIRouter()

    @router.post("/probe/{value}")
    def insert(value: int, db: DbSession) -> dict:
        db.execute(text(f"INSERT INTO {PROBE_TABLE} VALUES (:v)"), {"v": value})
        return {"inserted": value}

    @router.post("/probe/{value}/twice")
    def insert_twice(value: int, db: DbSession) -> dict:
        for _ in range(2):
            db.execute(text(f"INSERT INTO {PROBE_TABLE} VALUES (:v)"), {"v": value})
        return {"inserted": value}

    @router.post("/probe/{value}/then-fail")
    def insert_then_fail(value: int, db: DbSession) -> dict:
        db.execute(text(f"INSERT INTO {PROBE_TABLE} VALUES (:v)"), {"v": value})
        db.flush()
        raise NotFound("Nothing here.", code="not_found")

    @router.post("/probe/{value}/then-raw-read")
    def insert_then_read_on_the_driver(value: int, words: str, db: DbSession) -> dict:
        db.execute(text(f"INSERT INTO {PROBE_TABLE} VALUES (:v)"), {"v": value})
        driver = db.connection().connection.driver_connection
        driver.execute("SELECT %(words)s::text", {"words": words}).fetchall()
        return {"inserted": value}

    with TestClient(create_app("probe", [router]), raise_server_exceptions=False) as test_client:
        yield test_client


def test_a_route_that_returns_is_committed_without_calling_commit(client, engine):
    answer = client.post("/probe/1")

    assert answer.status_code == 200
    assert probe_values(engine) == [1]


def test_a_violation_found_at_commit_answers_its_mapped_409_and_keeps_nothing(client, engine):
    answer = client.post("/probe/7/twice")

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "value_taken"
    assert probe_values(engine) == []


def test_an_error_after_a_flush_rolls_the_whole_request_back(client, engine):
    answer = client.post("/probe/3/then-fail")

    assert answer.status_code == 404
    assert probe_values(engine) == []


def test_a_value_the_driver_refuses_on_a_raw_read_is_a_422_and_keeps_nothing(client, engine):
    """A read through the session's psycopg connection raises psycopg's own DataError (here for NUL,
    which PostgreSQL text cannot hold); it answers like SQLAlchemy's, not 500."""
    answer = client.post("/probe/5/then-raw-read", params={"words": "a\x00b"})

    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_value"
    assert probe_values(engine) == []
