"""The benchmarks' delayed relay: the database's answers arrive whole, in order, and no sooner than
one round trip after each request."""

import sys
import time
from pathlib import Path

import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from delayed_relay import delayed_database  # noqa: E402

ROUND_TRIP_MS = 30


@pytest.fixture(scope="module")
def relayed_url(database_url: str):
    plain_url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with delayed_database(plain_url, ROUND_TRIP_MS) as through_relay:
        yield through_relay(plain_url)


def test_answers_pass_whole_and_in_order(relayed_url: str) -> None:
    with psycopg.connect(relayed_url, autocommit=True) as connection:
        rows = connection.execute("SELECT n, repeat('x', 500) FROM generate_series(1, 2000) AS n").fetchall()
        assert [n for n, _ in rows] == list(range(1, 2001))  # about 1 MB: many reads of the relay
        assert {len(text) for _, text in rows} == {500}


def test_each_round_trip_waits_for_the_delay(relayed_url: str) -> None:
    with psycopg.connect(relayed_url, autocommit=True) as connection:
        connection.execute("SELECT 1")
        start = time.monotonic()
        for _ in range(3):
            assert connection.execute("SELECT 1").fetchone() == (1,)
        assert time.monotonic() - start >= 3 * ROUND_TRIP_MS / 1000


def test_pipelined_statements_share_one_round_trip(relayed_url: str) -> None:
    with psycopg.connect(relayed_url, autocommit=True) as connection:
        connection.execute("SELECT 1")
        start = time.monotonic()
        with connection.pipeline():
            cursors = [connection.execute("SELECT %s::int", (n,)) for n in range(10)]
        elapsed = time.monotonic() - start
        assert [cursor.fetchone()[0] for cursor in cursors] == list(range(10))
        assert elapsed < 10 * ROUND_TRIP_MS / 1000  # serialised, they would take ten
