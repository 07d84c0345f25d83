"""Shared by the benchmarks: a migrated embedded database and one-line figures."""

import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

os.environ.setdefault("ENVIRONMENT", "test")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")


@contextmanager
def bench_database(name: str = "meetings_bench") -> Iterator[str]:
    """Starts an embedded PostgreSQL in a scratch directory, migrates it, and points DATABASE_URL at a
    login of the application role; yields the owner's (superuser's) URL, for seeding and raw floors."""
    from devserver.embedded_db import start_embedded_database

    with tempfile.TemporaryDirectory(prefix="meetings-bench-") as data_dir:
        url = start_embedded_database(data_dir, name)
        os.environ["DATABASE_URL"] = url
        os.environ["LOCAL_DATA_DIR"] = data_dir
        from meetings.db_local import serve_locally_as
        from meetings.db_roles import APP_ROLE
        from meetings.migrate import upgrade_to_head

        upgrade_to_head()
        serve_locally_as(APP_ROLE)  # the code measured connects as the services do; `url` stays the owner's
        try:
            yield url
        finally:
            for server in start_embedded_database.servers:
                server.cleanup()
            start_embedded_database.servers.clear()


def timed(action: Callable[[], object]) -> float:
    """Seconds one call takes."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def samples(action: Callable[[], object], count: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        action()
    return [timed(action) for _ in range(count)]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def report(
    name: str, value: float, unit: str, *, floor: float | None = None, floor_name: str = "floor"
) -> None:
    """Prints one figure, with its ratio to a floor measured in the same run."""
    line = f"{name}: {value:.3f} {unit}"
    if floor:
        line += f" | {floor_name} {floor:.3f} {unit} | ratio {value / floor:.2f}x"
    print(line, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values)


def bench_session(scope: str = "manager", entity_id: int | None = None):
    """A session of the application role that sees what `scope` allows under row-level security."""
    from meetings.db import session_factory
    from meetings.db_scope import set_db_scope

    return set_db_scope(session_factory()(), scope, entity_id=entity_id)


def set_row_level_security(owner_url: str, enabled: bool) -> None:
    """Enables or disables row-level security on every table that has a policy (the policies stay)."""
    import psycopg

    with psycopg.connect(owner_url, autocommit=True) as connection:
        tables = connection.execute("SELECT DISTINCT polrelid::regclass::text FROM pg_policy").fetchall()
        for (table,) in tables:
            connection.execute(f"ALTER TABLE {table} {'ENABLE' if enabled else 'DISABLE'} ROW LEVEL SECURITY")


def with_and_without_rls(
    owner_url: str, measure: Callable[[], list[float]], rounds: int = 4
) -> tuple[list[float], list[float]]:
    """Runs `measure` with row-level security on and off in alternating rounds (on, off, off, on, ...),
    so drift in the machine's load falls on both sides; returns (with, without) samples."""
    with_rls, without_rls = [], []
    for round_number in range(rounds):
        for enabled in (True, False) if round_number % 2 == 0 else (False, True):
            set_row_level_security(owner_url, enabled)
            (with_rls if enabled else without_rls).extend(measure())
    set_row_level_security(owner_url, True)
    return with_rls, without_rls


def connect_as(owner_url: str, role: str) -> None:
    """Points DATABASE_URL (and the cached engine) at a login of another service role."""
    from meetings.db import get_engine, session_factory
    from meetings.db_roles import local_login_url
    from meetings.settings import get_settings

    os.environ["DATABASE_URL"] = local_login_url(owner_url, role, os.environ["LOCAL_DATA_DIR"])
    for cached in (get_settings, get_engine, session_factory):
        cached.cache_clear()


def lambda_handler(function: str):
    """The `handler` of functions/<function>/handler.py, loaded as the Lambda runtime loads it."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "functions" / function / "handler.py"
    spec = importlib.util.spec_from_file_location(f"{function}_handler", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler
