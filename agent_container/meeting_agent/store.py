"""Database work for one meeting: off the event loop, one commit per unit of work, every call bounded
in time (connect, pool checkout and statement timeouts) and independent calls run side by side."""

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import lru_cache
from typing import TypeVar

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from meetings.db import (
    ping_after_idle,
    proxy_safe_connect_args,
    resolve_database_url,
    serve_as_a_service_role,
)
from meetings.db_scope import bound_statement_time, set_db_scope
from meetings.settings import get_settings

T = TypeVar("T")
SessionScope = Callable[[], AbstractContextManager[Session]]

CONNECT_TIMEOUT_SECONDS = 5
STATEMENT_TIMEOUT_MS = 10_000
POOL_SIZE = 4  # per job process: transcripts, answers, suggestions and usage at once


def agent_engine(url: str, *, connect_timeout: int = CONNECT_TIMEOUT_SECONDS) -> Engine:
    """An engine whose connection attempts give up after `connect_timeout` seconds (an unreachable
    proxy would otherwise hold a call for minutes), whose pool waits as long at most, and which pings a
    pooled connection only after it sat idle (meetings.db.ping_after_idle), not before every unit of work."""
    engine = create_engine(
        url,
        pool_size=POOL_SIZE,
        max_overflow=2,
        pool_timeout=connect_timeout,
        pool_recycle=1800,
        hide_parameters=True,
        connect_args={"connect_timeout": connect_timeout, **proxy_safe_connect_args()},
    )
    ping_after_idle(engine, get_settings().db_ping_after_idle_seconds)
    return engine


@lru_cache
def default_engine() -> Engine:
    """The job process's engine (created lazily: never in the forkserver, whose sockets would be shared)."""
    settings = get_settings()
    engine = agent_engine(resolve_database_url(settings))
    serve_as_a_service_role(engine, settings)  # never a superuser or owner; IAM tokens on AWS
    return engine


@lru_cache
def _agent_sessions() -> sessionmaker[Session]:
    return sessionmaker(bind=default_engine(), expire_on_commit=False)


def default_session_scope() -> Session:
    """A fresh session from the job process's engine, closed at the end of its `with` block, that sees
    what the agent's work needs under row-level security."""
    return set_db_scope(_agent_sessions()(), "agent")


class Store:
    """Runs database work in worker threads, at most `max_concurrency` units at a time, so audio and chat
    never wait on it and a slow write does not hold up the others."""

    def __init__(
        self,
        session_scope: SessionScope = default_session_scope,
        *,
        max_concurrency: int = POOL_SIZE,
        statement_timeout_ms: int = STATEMENT_TIMEOUT_MS,
    ):
        self.session_scope = session_scope
        self.statement_timeout_ms = statement_timeout_ms
        self._slots = asyncio.Semaphore(max_concurrency)

    async def run(self, work: Callable[[Session], T]) -> T:
        """Runs `work(db)` and commits; rolls back and re-raises on failure."""
        async with self._slots:
            return await asyncio.to_thread(self._run_now, work)

    def _run_now(self, work: Callable[[Session], T]) -> T:
        with self.session_scope() as db:
            bound_statement_time(db, self.statement_timeout_ms)
            with db.begin():
                return work(db)
