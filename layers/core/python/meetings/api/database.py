"""The request's database session and its one commit.

`DbSession` is function-scoped: its exit runs after the route returns and before the response is sent, so
the request commits exactly once there, and a constraint violation raised by that commit still reaches the
error handlers and answers its mapped 409. Any exception rolls everything back. Routes never commit.

Both dependencies are coroutines although the commit blocks: a Lambda container serves one request at a
time, so the event loop has nothing else to run, and each sync dependency would cost a threadpool hop on
entry and another on exit (about 0.1 ms each, measured by bench_manager_api). Routes stay sync; the
Lambda apps call them on the event loop too (meetings.api.inline_routes).
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from meetings.db import open_session


async def get_session() -> AsyncIterator[Session]:
    """A new session on the verified engine (tests override this one to bind their connection)."""
    session = open_session()
    try:
        yield session
    finally:
        session.close()


async def request_transaction(session: Annotated[Session, Depends(get_session)]) -> AsyncIterator[Session]:
    """Commits the request's work once the route has returned; rolls it back if anything raised."""
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    session.commit()


DbSession = Annotated[Session, Depends(request_transaction, scope="function")]
