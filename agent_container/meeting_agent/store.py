"""Database work for one meeting: serialized, off the event loop, one commit per unit of work."""

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TypeVar

from sqlalchemy.orm import Session

from meetings.db import session_factory

T = TypeVar("T")
SessionScope = Callable[[], AbstractContextManager[Session]]


def default_session_scope() -> Session:
    """A fresh session from the process-wide engine, closed at the end of its `with` block."""
    return session_factory()()


class Store:
    """Runs database work one unit at a time in a worker thread, so audio and chat never wait on it."""

    def __init__(self, session_scope: SessionScope = default_session_scope):
        self.session_scope = session_scope
        self._lock = asyncio.Lock()

    async def run(self, work: Callable[[Session], T]) -> T:
        """Runs `work(db)` and commits; rolls back and re-raises on failure."""
        async with self._lock:
            return await asyncio.to_thread(self._run_now, work)

    def _run_now(self, work: Callable[[Session], T]) -> T:
        with self.session_scope() as db, db.begin():
            return work(db)
