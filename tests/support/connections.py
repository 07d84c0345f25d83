"""Helpers for tests of what happens when a database connection dies under the pool."""

import psycopg
from sqlalchemy import Engine, text


def backend_of(engine: Engine) -> int:
    """The server process behind the connection the pool hands out next."""
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def terminate(database_url: str, pid: int) -> None:
    """Kills a server process, as a failover or the proxy's idle time-out would cut its connection."""
    with psycopg.connect(
        database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
