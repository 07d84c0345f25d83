"""paginate(): a page and the total of every row, on the real database, at the edges of the list; with a
schema, the page of that schema, read from the entity's columns when the schema reads nothing else."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pydantic import Field, TypeAdapter, computed_field, model_validator
from sqlalchemy import event, select

from meetings.api.pagination import Page, PageParams, paginate
from meetings.manager.entities.models import Entity
from meetings.manager.entities.schemas import EntityOut
from meetings.notifications.models import WebhookMessage
from meetings.validation import ResponseModel
from tests.factories import make_entity, unique


@pytest.fixture
def kind_of_three(db) -> tuple[str, list[Entity]]:
    kind = unique("kind")
    return kind, [make_entity(db, type=kind) for _ in range(3)]


def page_of(db, kind: str, limit: int, offset: int, schema=None):
    statement = select(Entity).where(Entity.type == kind).order_by(Entity.id)
    return paginate(db, statement, PageParams(limit=limit, offset=offset), schema=schema)


@pytest.fixture
def entity_loads() -> Iterator[list[Entity]]:
    """The mapped entities the ORM loads during the test."""
    loaded = []

    def record(entity: Entity, _context) -> None:
        loaded.append(entity)

    event.listen(Entity, "load", record)
    yield loaded
    event.remove(Entity, "load", record)


@pytest.mark.parametrize("schema", [None, EntityOut])
@pytest.mark.parametrize(
    ("limit", "offset", "expected"),
    [(2, 0, [0, 1]), (2, 2, [2]), (1, 1, [1]), (50, 0, [0, 1, 2])],
)
def test_a_page_carries_the_total_of_every_row(db, kind_of_three, limit, offset, expected, schema):
    kind, entities = kind_of_three
    page = page_of(db, kind, limit, offset, schema)
    assert [entity.id for entity in page.items] == [entities[index].id for index in expected]
    assert (page.total, page.limit, page.offset) == (3, limit, offset)


@pytest.mark.parametrize("schema", [None, EntityOut])
def test_a_page_past_the_end_still_counts_the_rows(db, kind_of_three, schema):
    kind, _ = kind_of_three
    page = page_of(db, kind, 2, 3, schema)
    assert (page.items, page.total) == ([], 3)
    assert page_of(db, kind, 2, 40, schema).total == 3


@pytest.mark.parametrize("schema", [None, EntityOut])
def test_an_empty_list_has_no_rows_and_a_total_of_zero(db, schema):
    page = page_of(db, unique("no-such-kind"), 10, 0, schema)
    assert (page.items, page.total) == ([], 0)


def test_a_schema_of_columns_answers_what_the_response_model_makes_of_the_entities(
    db, kind_of_three, entity_loads
):
    kind, entities = kind_of_three
    entities[1].default_instructions = "Be brief."
    entities[2].active = False
    db.flush()
    db.expunge_all()  # so that the ORM loads them afresh
    response_model = TypeAdapter(Page[EntityOut])
    of_entities = response_model.validate_python(page_of(db, kind, 50, 0), from_attributes=True)
    assert len(entity_loads) == 3
    entity_loads.clear()

    page = page_of(db, kind, 50, 0, EntityOut)

    assert type(page) is Page[EntityOut]
    assert response_model.dump_json(page) == response_model.dump_json(of_entities)
    assert entity_loads == []  # read from the columns alone


class EntityLabel(ResponseModel):
    id: int
    label: str = Field(validation_alias="name")

    @computed_field
    @property
    def shouted(self) -> str:
        return self.label.upper()


def test_a_field_read_under_another_name_and_a_computed_field_come_from_the_columns(
    db, kind_of_three, entity_loads
):
    kind, entities = kind_of_three
    db.expunge_all()
    page = page_of(db, kind, 50, 0, EntityLabel)

    assert [item.model_dump() for item in page.items] == [
        {"id": entity.id, "label": entity.name, "shouted": entity.name.upper()} for entity in entities
    ]
    assert entity_loads == []


class EntityTitle(ResponseModel):
    name: str  # a column, but the validator below makes it of the entity

    @model_validator(mode="before")
    @classmethod
    def _titled(cls, entity: Entity) -> dict:
        return {"name": f"{entity.name} ({entity.type})"}


def test_a_schema_whose_validator_reads_the_entity_gets_the_entity(db, kind_of_three):
    kind, entities = kind_of_three
    page = page_of(db, kind, 50, 0, EntityTitle)
    assert [item.name for item in page.items] == [f"{entity.name} ({kind})" for entity in entities]


class MessageOut(ResponseModel):
    type: str
    webhook_id: str  # a property of the mapped class, not a column


def test_a_schema_that_reads_more_than_columns_gets_the_entities(db):
    entity = make_entity(db)
    message = WebhookMessage(
        id=uuid.uuid4(), entity_id=entity.id, type=unique("type"), data={}, occurred_at=datetime.now(UTC)
    )
    db.add(message)
    db.flush()
    statement = select(WebhookMessage).where(WebhookMessage.entity_id == entity.id)

    page = paginate(db, statement, PageParams(limit=10, offset=0), schema=MessageOut)

    assert [item.model_dump() for item in page.items] == [
        {"type": message.type, "webhook_id": f"msg_{message.id.hex}"}
    ]
    assert page.total == 1
