"""search_knowledge: ranking, the department override, tenant isolation, and both query plans."""

import numpy as np
import pytest

from meetings.manager.knowledge import retrieval
from meetings.manager.knowledge.retrieval import RetrievedChunk, search_knowledge
from tests.factories import make_department, make_entity
from tests.knowledge.conftest import add_document, near, unit_vector

QUERY = unit_vector(1)


def names(results: list[RetrievedChunk]) -> list[str]:
    return [result.document_name for result in results]


def test_results_are_ranked_best_first_with_cosine_scores(db, plan):
    entity = make_entity(db)
    vectors = [near(QUERY, seed, noise) for seed, noise in ((10, 0.2), (11, 1.0), (12, 0.5), (13, 3.0))]
    add_document(db, entity=entity, document_name="faq.md", vectors=vectors)

    results = search_knowledge(db=db, entity_id=entity.id, department_id=None, query_embedding=QUERY, k=3)

    assert [result.chunk_index for result in results] == [0, 2, 1]
    expected = [float(np.dot(QUERY, vectors[index])) for index in (0, 2, 1)]
    assert [result.score for result in results] == pytest.approx(expected, abs=1e-5)
    assert results[0].page == 1 and results[0].metadata["total_chunks"] == 4
    assert results[0].text == "faq.md chunk 0"


def test_department_chunks_replace_entity_wide_chunks_of_the_same_document(db, plan):
    entity = make_entity(db)
    cardiology, oncology = make_department(db, entity), make_department(db, entity)
    add_document(db, entity=entity, document_name="prices.pdf", vectors=[near(QUERY, 20, 0.1)])
    add_document(db, entity=entity, document_name="hours.md", vectors=[near(QUERY, 21, 0.3)])
    add_document(
        db, entity=entity, document_name="prices.pdf", department=cardiology, vectors=[near(QUERY, 22, 2.0)]
    )
    add_document(
        db, entity=entity, document_name="oncology.md", department=oncology, vectors=[near(QUERY, 23, 0.0)]
    )

    in_cardiology = search_knowledge(
        db=db, entity_id=entity.id, department_id=cardiology.id, query_embedding=QUERY, k=10
    )
    in_oncology = search_knowledge(
        db=db, entity_id=entity.id, department_id=oncology.id, query_embedding=QUERY, k=10
    )
    entity_wide = search_knowledge(
        db=db, entity_id=entity.id, department_id=None, query_embedding=QUERY, k=10
    )

    assert [(r.document_name, r.department_id) for r in in_cardiology] == [
        ("hours.md", None),
        ("prices.pdf", cardiology.id),
    ]
    assert [(r.document_name, r.department_id) for r in in_oncology] == [
        ("oncology.md", oncology.id),
        ("prices.pdf", None),
        ("hours.md", None),
    ]
    assert [(r.document_name, r.department_id) for r in entity_wide] == [
        ("prices.pdf", None),
        ("hours.md", None),
    ]


def test_another_entitys_chunks_are_never_returned(db, plan):
    mine, theirs = make_entity(db), make_entity(db)
    add_document(
        db, entity=theirs, document_name="secret.md", vectors=[near(QUERY, 30 + i, 0.01) for i in range(20)]
    )
    add_document(db, entity=mine, document_name="mine.md", vectors=[near(QUERY, 60, 3.0)])

    results = search_knowledge(db=db, entity_id=mine.id, department_id=None, query_embedding=QUERY, k=5)

    assert names(results) == ["mine.md"]


def test_never_fewer_than_k_when_k_exist_even_when_other_tenants_crowd_the_index(db, plan):
    mine, crowd = make_entity(db), make_entity(db)
    department = make_department(db, mine)
    # 1,500 chunks of another tenant sit closer to the query than any of ours.
    add_document(
        db, entity=crowd, document_name="crowd.md", vectors=[near(QUERY, 1000 + i, 0.2) for i in range(1500)]
    )
    add_document(
        db,
        entity=mine,
        document_name="far.md",
        department=department,
        vectors=[near(QUERY, 5000 + i, 5.0) for i in range(12)],
    )

    for k in (1, 10, 12, 20):
        results = search_knowledge(
            db=db, entity_id=mine.id, department_id=department.id, query_embedding=QUERY, k=k
        )
        assert len(results) == min(k, 12)
        assert set(names(results)) == {"far.md"}
        assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)


def test_repeated_searches_keep_choosing_the_right_plan_after_statements_are_prepared(db, monkeypatch):
    small, large = make_entity(db), make_entity(db)
    add_document(
        db, entity=small, document_name="small.md", vectors=[near(QUERY, 70 + i, 1.0) for i in range(3)]
    )
    add_document(
        db, entity=large, document_name="large.md", vectors=[near(QUERY, 80 + i, 1.0) for i in range(30)]
    )
    monkeypatch.setattr(retrieval, "EXACT_SCAN_MAX_CHUNKS", 10)

    # psycopg would prepare a statement from its fifth execution on, were it allowed to (the proxy-safe
    # settings forbid it, meetings.db): the plan choice must not depend on either
    for _ in range(8):
        assert (
            names(search_knowledge(db=db, entity_id=small.id, department_id=None, query_embedding=QUERY, k=5))
            == ["small.md"] * 3
        )
        assert (
            len(search_knowledge(db=db, entity_id=large.id, department_id=None, query_embedding=QUERY, k=5))
            == 5
        )


def test_an_entity_without_knowledge_gets_no_results(db, plan):
    entity = make_entity(db)
    assert search_knowledge(db=db, entity_id=entity.id, department_id=None, query_embedding=QUERY, k=5) == []
    assert search_knowledge(db=db, entity_id=entity.id, department_id=None, query_embedding=QUERY, k=0) == []


def test_text_search_embeds_the_question_with_the_real_model(db, embedder):
    entity = make_entity(db)
    texts = [
        "Consultations cost 200 dollars and are paid at the reception desk.",
        "The clinic parking lot is on the north side of the building.",
    ]
    add_document(db, entity=entity, document_name="faq.md", vectors=embedder.embed(texts), texts=texts)

    results = retrieval.search_knowledge_text(
        db=db, entity_id=entity.id, department_id=None, query="How much does an appointment cost?", k=1
    )

    assert results[0].text == texts[0]


@pytest.mark.parametrize("mode", ["vector", "hybrid"])
def test_the_hnsw_path_really_scans_the_hnsw_index_and_its_settings_do_not_leak(db, monkeypatch, mode):
    from sqlalchemy import text

    entity = make_entity(db)
    add_document(
        db, entity=entity, document_name="a.md", vectors=[near(QUERY, 90 + i, 1.0) for i in range(30)]
    )
    # index scans counted in this transaction (kb_nearest_chunks' own plan is not in an outer EXPLAIN)
    scans = text("SELECT pg_stat_get_xact_numscans(CAST('idx_kb_embedding' AS regclass))")
    db.execute(text("SELECT set_config('hnsw.ef_search', '77', true)"))
    before = db.execute(scans).scalar()
    monkeypatch.setattr(retrieval, "EXACT_SCAN_MAX_CHUNKS", 0)

    results = search_knowledge(
        db=db,
        entity_id=entity.id,
        department_id=None,
        query_embedding=QUERY,
        query_text="a.md chunk" if mode == "hybrid" else None,
        k=5,
    )
    assert len(results) == 5
    assert db.execute(scans).scalar() > before
    assert db.execute(text("SHOW enable_sort")).scalar() == "on"
    assert db.execute(text("SHOW enable_seqscan")).scalar() == "on"
    assert db.execute(text("SHOW hnsw.iterative_scan")).scalar() != "relaxed_order"
    assert db.execute(text("SHOW hnsw.ef_search")).scalar() == "77"  # the caller's own value is kept


@pytest.mark.parametrize("plan_cache_mode", ["force_custom_plan", "force_generic_plan"])
def test_the_exact_plan_never_reads_the_hnsw_index_whether_its_plan_is_kept_or_not(db, plan_cache_mode):
    from sqlalchemy import text

    entity = make_entity(db)
    vectors = [near(QUERY, 300 + i, 0.2 * i) for i in range(30)]
    add_document(db, entity=entity, document_name="a.md", vectors=vectors)
    # the plan PL/pgSQL keeps after five calls is a generic one; forced here, so that both are run
    db.execute(text("SELECT set_config('plan_cache_mode', :mode, true)"), {"mode": plan_cache_mode})
    scans = text("SELECT pg_stat_get_xact_numscans(CAST('idx_kb_embedding' AS regclass))")
    before = db.execute(scans).scalar()
    expected = list(np.argsort([-float(np.dot(QUERY, vector)) for vector in vectors])[:5])

    for _ in range(3):
        results = search_knowledge(db=db, entity_id=entity.id, department_id=None, query_embedding=QUERY, k=5)
        assert [result.chunk_index for result in results] == expected

    assert db.execute(scans).scalar() == before


def test_when_the_index_returns_too_few_rows_the_exact_plan_answers(db, monkeypatch):
    entity = make_entity(db)
    add_document(
        db, entity=entity, document_name="a.md", vectors=[near(QUERY, 95 + i, 1.0) for i in range(8)]
    )
    monkeypatch.setattr(retrieval, "EXACT_SCAN_MAX_CHUNKS", 0)
    monkeypatch.setattr(retrieval, "_hnsw_search", lambda db, params, mode: [])

    assert (
        len(search_knowledge(db=db, entity_id=entity.id, department_id=None, query_embedding=QUERY, k=5)) == 5
    )
