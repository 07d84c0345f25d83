"""paginate(): a page and the total of every row, on the real database, at the edges of the list."""

import pytest
from sqlalchemy import select

from meetings.api.pagination import PageParams, paginate
from meetings.manager.entities.models import Entity
from tests.factories import make_entity, unique


@pytest.fixture
def kind_of_three(db) -> tuple[str, list[Entity]]:
    kind = unique("kind")
    return kind, [make_entity(db, type=kind) for _ in range(3)]


def page_of(db, kind: str, limit: int, offset: int):
    statement = select(Entity).where(Entity.type == kind).order_by(Entity.id)
    return paginate(db, statement, PageParams(limit=limit, offset=offset))


@pytest.mark.parametrize(
    ("limit", "offset", "expected"),
    [(2, 0, [0, 1]), (2, 2, [2]), (1, 1, [1]), (50, 0, [0, 1, 2])],
)
def test_a_page_carries_the_total_of_every_row(db, kind_of_three, limit, offset, expected):
    kind, entities = kind_of_three
    page = page_of(db, kind, limit, offset)
    assert [entity.id for entity in page.items] == [entities[index].id for index in expected]
    assert (page.total, page.limit, page.offset) == (3, limit, offset)


def test_a_page_past_the_end_still_counts_the_rows(db, kind_of_three):
    kind, _ = kind_of_three
    page = page_of(db, kind, 2, 3)
    assert (page.items, page.total) == ([], 3)
    assert page_of(db, kind, 2, 40).total == 3


def test_an_empty_list_has_no_rows_and_a_total_of_zero(db):
    page = page_of(db, unique("no-such-kind"), 10, 0)
    assert (page.items, page.total) == ([], 0)
