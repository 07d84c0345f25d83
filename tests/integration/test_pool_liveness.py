"""The pool pings a connection only after it has been idle (meetings.db.ping_after_idle)."""

import pytest
from sqlalchemy import create_engine, exc

from meetings.db import ping_after_idle, proxy_safe_connect_args
from tests.support.connections import backend_of, terminate


@pytest.fixture
def pool_of_one(database_url):
    engines = []

    def build(idle_seconds: float):
        engine = create_engine(
            database_url, pool_size=1, max_overflow=0, connect_args=proxy_safe_connect_args()
        )
        ping_after_idle(engine, idle_seconds)
        pings = []
        real_ping = engine.dialect.do_ping
        engine.dialect.do_ping = lambda connection: pings.append(1) or real_ping(connection)
        engines.append(engine)
        return engine, pings

    yield build
    for engine in engines:
        engine.dispose()


def test_a_connection_used_moments_ago_is_handed_out_without_a_ping(pool_of_one):
    engine, pings = pool_of_one(3600)

    first, second, third = backend_of(engine), backend_of(engine), backend_of(engine)

    assert first == second == third  # the same pooled connection each time
    assert pings == []


def test_an_idle_connection_that_died_is_replaced_before_the_request_sees_it(pool_of_one, database_url):
    engine, pings = pool_of_one(0)  # every connection counts as idle
    dead = backend_of(engine)
    terminate(database_url, dead)

    alive = backend_of(engine)

    assert alive != dead and len(pings) == 1


def test_within_the_window_a_dead_connection_fails_one_request_and_the_next_gets_a_new_one(
    pool_of_one, database_url
):
    engine, pings = pool_of_one(3600)
    dead = backend_of(engine)
    terminate(database_url, dead)

    with pytest.raises(exc.OperationalError):
        backend_of(engine)

    assert backend_of(engine) != dead and pings == []


def test_either_clock_saying_idle_is_enough_to_ping(pool_of_one, monkeypatch):
    """A frozen container's monotonic clock may stand still; the wall clock still moves on."""
    import time

    engine, pings = pool_of_one(60)
    backend_of(engine)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 120)  # two minutes later by the wall clock

    backend_of(engine)

    assert pings == [1]
