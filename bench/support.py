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
    """Starts an embedded PostgreSQL in a scratch directory, migrates it and sets DATABASE_URL."""
    from devserver.embedded_db import start_embedded_database

    with tempfile.TemporaryDirectory(prefix="meetings-bench-") as data_dir:
        url = start_embedded_database(data_dir, name)
        os.environ["DATABASE_URL"] = url
        from meetings.migrate import upgrade_to_head

        upgrade_to_head()
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
