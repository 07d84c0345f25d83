"""Fixtures of the schema fuzz tests: a small world of rows, callers by role, and a tally of what ran.

FUZZ_EXAMPLES sets the fuzzing phase's examples per operation (few by default; `make fuzz` raises it).
FUZZ_SURVEY=1 records every failure instead of stopping at the first, and prints the tally.
"""

import os
from collections import Counter
from types import SimpleNamespace

import pytest

from meetings.manager.users.models import UserRole
from tests.factories import link_professional, make_department, make_entity, make_professional, make_user

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
SURVEY = os.environ.get("FUZZ_SURVEY") == "1"

TALLY: Counter = Counter()


@pytest.fixture
def world(db):
    """An entity with a department, its admin and a professional; another entity; a manager."""
    entity = make_entity(db, max_participants=20)
    department = make_department(db, entity)
    professional = make_professional(db)
    link_professional(db, professional, entity, department)
    return SimpleNamespace(
        entity=entity,
        department=department,
        professional=professional,
        other_entity=make_entity(db),
        manager=make_user(db, role=UserRole.MANAGER),
        admin=make_user(db, role=UserRole.ENTITY_ADMIN, entity=entity),
    )


@pytest.fixture(params=["manager", "entity_admin", "anonymous"])
def caller(request, world, auth_headers) -> dict[str, str]:
    """The headers of one kind of caller."""
    return {
        "manager": lambda: auth_headers(world.manager),
        "entity_admin": lambda: auth_headers(world.admin),
        "anonymous": dict,
    }[request.param]()


def pytest_terminal_summary(terminalreporter) -> None:
    if TALLY:
        terminalreporter.write_sep("-", "schema fuzzing tally")
        for key, count in sorted(TALLY.items()):
            terminalreporter.write_line(f"{count:7d}  {key}")
