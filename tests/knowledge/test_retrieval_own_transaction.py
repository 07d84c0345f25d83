"""search_knowledge in a transaction of its own, as the agent asks each question: the search travels with
the transaction's BEGIN and scope in one round trip (meetings.db_scope.fetch_rows), and the scope still
decides what it sees."""

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from meetings.db_scope import set_db_scope
from meetings.manager.knowledge.retrieval import search_knowledge
from tests.factories import make_entity
from tests.integration.test_first_statement import traced
from tests.knowledge.conftest import add_document, near, unit_vector

QUERY = unit_vector(3)


@pytest.fixture
def clinics(engine, owner_engine):
    """Two entities with a document each, committed so that sessions of their own see them."""
    with Session(engine) as db:
        set_db_scope(db, "manager")
        mine, theirs = make_entity(db), make_entity(db)
        add_document(
            db, entity=mine, document_name="mine.md", vectors=[near(QUERY, 40 + i, 0.5) for i in range(6)]
        )
        add_document(
            db,
            entity=theirs,
            document_name="theirs.md",
            vectors=[near(QUERY, 50 + i, 0.01) for i in range(6)],
        )
        db.commit()
        ids = (mine.id, theirs.id)
    yield ids
    with owner_engine.begin() as owner:
        owner.execute(text("DELETE FROM entities WHERE id = ANY(:ids)"), {"ids": list(ids)})


def search(db: Session, entity_id: int) -> list[tuple[str, int]]:
    results = search_knowledge(db=db, entity_id=entity_id, department_id=None, query_embedding=QUERY, k=4)
    db.rollback()
    return [(result.document_name, result.chunk_index) for result in results]


def test_a_search_that_opens_its_transaction_is_one_round_trip_and_answers_alike(engine, clinics, plan):
    mine, _ = clinics
    with engine.connect() as connection:
        with Session(bind=connection) as db:
            set_db_scope(db, "entity", entity_id=mine)
            search(db, mine)  # the candidate count, read once per process, opens this one
            lines = traced(connection)
            alone = search(db, mine)
            trace = lines()
            db.execute(text("SELECT 1"))
            inside = search(db, mine)

    assert (
        sum("ReadyForQuery" in line for line in trace if line.startswith("B")) == 2
    )  # the search, the rollback
    assert len(alone) == 4 and {name for name, _ in alone} == {"mine.md"}
    assert alone == inside


def test_an_entity_scope_sees_nothing_of_another_entity_through_it(engine, clinics, plan):
    mine, theirs = clinics
    with Session(engine) as db:
        set_db_scope(db, "entity", entity_id=mine)
        assert search(db, theirs) == []
        assert search(db, theirs) == []  # the count now cached: the search opens the transaction
    with Session(engine) as db:
        set_db_scope(db, "entity", entity_id=theirs)
        assert {name for name, _ in search(db, theirs)} == {"theirs.md"}
