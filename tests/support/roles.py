"""Switching the test's connection to another database role for a block (SET ROLE, undone at the end).

The suite logs in as the application role. The agent's and the jobs' tests run their work as those
roles, and the few fixtures that write rows no service of the API may write (agent usage and events,
append-only rows being tampered with) write them as the test-only harness role.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.orm import Session

HARNESS_ROLE = "meetings_test_harness"


@contextmanager
def acting_as(db: Session, role: str) -> Iterator[Session]:
    """Runs the block's statements as `role`; what the session holds is flushed before and after."""
    db.flush()
    db.execute(text(f"SET ROLE {role}"))
    try:
        yield db
        db.flush()
    finally:
        db.execute(text("RESET ROLE"))


def as_harness(db: Session):
    return acting_as(db, HARNESS_ROLE)
