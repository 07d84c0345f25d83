"""Hybrid retrieval: full-text in each document's language fused with the vector ranking, inside the
tenant and department rules."""

import pytest

from meetings.manager.knowledge import retrieval
from meetings.manager.knowledge.retrieval import search_knowledge
from tests.factories import make_department, make_entity
from tests.knowledge.conftest import add_document, near, unit_vector

QUERY = unit_vector(3)


def search(db, entity, query_text, *, department=None, mode=None, k=5, embedding=QUERY):
    return search_knowledge(
        db=db,
        entity_id=entity.id,
        department_id=department.id if department else None,
        query_embedding=embedding,
        query_text=query_text,
        k=k,
        mode=mode,
    )


def test_a_passage_that_shares_the_questions_rare_word_comes_first_in_hybrid(db, plan):
    entity = make_entity(db)
    add_document(
        db,
        entity=entity,
        document_name="general.md",
        vectors=[near(QUERY, 11, 0.1)],
        texts=["Our reception answers general questions about visits."],
        search_config="english",
    )
    add_document(
        db,
        entity=entity,
        document_name="heart.md",
        vectors=[near(QUERY, 12, 0.6)],
        texts=["The echocardiogram takes thirty minutes and needs no fasting."],
        search_config="english",
    )

    vector_only = search(db, entity, "how long is the echocardiogram?", mode="vector")
    hybrid = search(db, entity, "how long is the echocardiogram?")

    assert [r.document_name for r in vector_only] == ["general.md", "heart.md"]
    assert [r.document_name for r in hybrid] == ["heart.md", "general.md"]
    assert hybrid[0].score == pytest.approx(
        next(r.score for r in vector_only if r.document_name == "heart.md")
    )


def test_text_only_mode_returns_only_matching_chunks_best_first(db, plan):
    entity = make_entity(db)
    texts = [
        "Parking is free for two hours.",
        "Parking for bicycles is at the entrance; parking for cars is on the side street.",
        "The laboratory opens at seven.",
    ]
    add_document(
        db,
        entity=entity,
        document_name="a.md",
        vectors=[near(QUERY, i, 1.0) for i in range(3)],
        texts=texts,
        search_config="english",
    )

    results = search(db, entity, "where do I park my bicycle", mode="text")

    assert [r.text for r in results] == [texts[1], texts[0]]


def test_portuguese_chunks_are_stemmed_and_accent_folded(db, plan):
    entity = make_entity(db)
    add_document(
        db,
        entity=entity,
        document_name="precos.md",
        vectors=[near(QUERY, 21, 2.0)],
        texts=["As consultas de retorno não são cobradas."],
        search_config="portuguese",
    )
    add_document(
        db,
        entity=entity,
        document_name="simples.md",
        vectors=[near(QUERY, 22, 2.0)],
        texts=["As consultas de retorno não são cobradas."],
        search_config="simple",
    )

    # "consulta" (singular) and "cobrada" only meet the text through the Portuguese stemmer;
    # "nao" meets "não" through the accent folding, in both configurations
    stemmed = search(db, entity, "consulta cobrada", mode="text")
    folded = search(db, entity, "nao", mode="text")

    assert [r.document_name for r in stemmed] == ["precos.md"]
    assert {r.document_name for r in folded} == {"precos.md", "simples.md"}


def test_english_chunks_are_stemmed_and_stop_words_ignored(db, plan):
    entity = make_entity(db)
    add_document(
        db,
        entity=entity,
        document_name="visitors.md",
        vectors=[near(QUERY, 31, 2.0)],
        texts=["Appointments can be booked with a passport."],
        search_config="english",
    )

    assert [r.document_name for r in search(db, entity, "booking an appointment", mode="text")] == [
        "visitors.md"
    ]
    assert search(db, entity, "the and of", mode="text") == []


def test_the_heading_is_searched_but_not_quoted(db, plan):
    entity = make_entity(db)
    add_document(
        db,
        entity=entity,
        document_name="pay.md",
        vectors=[near(QUERY, 41, 2.0)],
        texts=["We take cards and cash."],
        heading="Prices › Payment methods",
        search_config="english",
    )

    results = search(db, entity, "payment", mode="text")

    assert results[0].text == "We take cards and cash."
    assert results[0].heading == "Prices › Payment methods"


def test_full_text_never_crosses_tenants_departments_or_overrides(db, plan):
    mine, theirs = make_entity(db), make_entity(db)
    cardiology, dermatology = make_department(db, mine), make_department(db, mine)
    words = "peeling pregnancy sunscreen"
    common = {"vectors": [near(QUERY, 51, 0.1)], "texts": [words], "search_config": "english"}
    add_document(db, entity=theirs, document_name="skin.md", **common)
    add_document(db, entity=mine, department=dermatology, document_name="skin.md", **common)
    add_document(db, entity=mine, document_name="prices.md", **common)
    add_document(db, entity=mine, department=cardiology, document_name="prices.md", **common)
    add_document(db, entity=mine, department=cardiology, document_name="heart.md", **common)

    for mode in ("text", "hybrid"):
        in_cardiology = search(db, mine, words, department=cardiology, mode=mode, k=10)
        entity_wide = search(db, mine, words, mode=mode, k=10)
        in_dermatology = search(db, mine, words, department=dermatology, mode=mode, k=10)

        assert sorted((r.document_name, r.department_id) for r in in_cardiology) == [
            ("heart.md", cardiology.id),
            ("prices.md", cardiology.id),
        ]
        assert [(r.document_name, r.department_id) for r in entity_wide] == [("prices.md", None)]
        assert sorted((r.document_name, r.department_id) for r in in_dermatology) == [
            ("prices.md", None),
            ("skin.md", dermatology.id),
        ]


def test_an_entity_admins_session_finds_its_words_under_row_level_security(db, plan):
    from meetings.db_scope import set_db_scope

    mine, theirs = make_entity(db), make_entity(db)
    common = {
        "vectors": [near(QUERY, 52, 0.1)],
        "texts": ["sunscreen after peeling"],
        "search_config": "english",
    }
    add_document(db, entity=mine, document_name="skin.md", **common)
    add_document(db, entity=theirs, document_name="skin.md", **common)
    set_db_scope(db, "entity", entity_id=mine.id)

    found = search(db, mine, "sunscreen", mode="text")
    elsewhere = search(db, theirs, "sunscreen", mode="text")

    assert [(r.document_name, r.text) for r in found] == [("skin.md", "sunscreen after peeling")]
    assert elsewhere == []  # the other clinic's words are not even visible to this session


def test_hybrid_with_a_question_that_matches_no_word_falls_back_to_the_vector_order(db, plan):
    entity = make_entity(db)
    vectors = [near(QUERY, 60 + i, noise) for i, noise in enumerate((0.2, 1.0, 0.5))]
    add_document(db, entity=entity, document_name="a.md", vectors=vectors, search_config="english")

    results = search(db, entity, "zzqx", k=3)

    assert [r.chunk_index for r in results] == [0, 2, 1]


@pytest.fixture
def model_languages(monkeypatch):
    """Sets EMBEDDING_LANGUAGES for one test."""
    from meetings.settings import get_settings

    def set_languages(value: str) -> None:
        monkeypatch.setenv("EMBEDDING_LANGUAGES", value)
        get_settings.cache_clear()

    yield set_languages
    monkeypatch.delenv("EMBEDDING_LANGUAGES", raising=False)
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("languages", "config", "first"),
    [
        ("english", "portuguese", "words.md"),
        ("english,portuguese", "portuguese", "nearest.md"),
        (",".join(retrieval.SEARCH_CONFIGS[:-1]), "portuguese", "nearest.md"),
        ("english", "simple", "nearest.md"),  # no recognised language: nothing says the model is weak there
    ],
)
def test_the_vector_ranking_weighs_fully_only_on_the_models_languages(
    db, plan, model_languages, languages, config, first
):
    model_languages(languages)
    entity = make_entity(db)
    for name, noise, text in (
        ("nearest.md", 0.1, "A farmácia fica no térreo."),
        ("parking.md", 0.5, "O estacionamento tem trinta vagas."),
        ("words.md", 1.0, "A farmácia de manipulação abre às oito."),
    ):
        add_document(
            db,
            entity=entity,
            document_name=name,
            vectors=[near(QUERY, 80 + len(name), noise)],
            texts=[text],
            search_config=config,
        )

    results = search(db, entity, "quando abre a farmácia de manipulação?", k=2)

    assert results[0].document_name == first


def test_the_agent_and_the_api_share_the_hybrid_search(db, embedder):
    from meetings.manager.knowledge.retrieval import search_knowledge_text

    entity = make_entity(db)
    texts = ["O estacionamento tem 30 vagas.", "A coleta de sangue começa às 7h."]
    add_document(
        db,
        entity=entity,
        document_name="faq.md",
        vectors=embedder.embed(texts),
        texts=texts,
        search_config="portuguese",
    )

    results = search_knowledge_text(
        db=db, entity_id=entity.id, department_id=None, query="que horas começa a coleta?", k=1
    )

    assert results[0].text == texts[1]


def test_chunks_of_no_known_language_are_not_matched_by_stop_words(db, plan):
    entity = make_entity(db)
    add_document(
        db,
        entity=entity,
        document_name="welcome.pdf",
        vectors=[near(QUERY, 71, 1.0)],
        texts=["Welcome to the clinic handbook."],
    )
    add_document(
        db,
        entity=entity,
        document_name="billing.pdf",
        vectors=[near(QUERY, 72, 1.0)],
        texts=["Invoices are payable within thirty days."],
    )

    assert [
        r.document_name for r in search(db, entity, "when do I have to pay the invoices", mode="text")
    ] == ["billing.pdf"]


def test_on_the_index_plan_a_word_in_most_of_the_entitys_chunks_is_left_out(db, monkeypatch):
    entity = make_entity(db)
    texts = ["The clinic opens at seven.", "The clinic has parking.", "The clinic closes at noon."]
    add_document(
        db,
        entity=entity,
        document_name="a.md",
        vectors=[near(QUERY, 70 + i, 1.0) for i in range(3)],
        texts=texts,
        search_config="english",
    )
    monkeypatch.setattr(retrieval, "EVERYDAY_TERM_MIN_CHUNKS", 2)

    exact = search(db, entity, "clinic parking", mode="text")
    monkeypatch.setattr(retrieval, "EXACT_SCAN_MAX_CHUNKS", 0)
    index = search(db, entity, "clinic parking", mode="text")

    assert exact[0].text == texts[1] and len(exact) == 3
    assert [r.text for r in index] == [texts[1]]  # "clinic" (in every chunk) read no rows


@pytest.mark.parametrize("vector_weight, first", [(0.0, "words.md"), (100.0, "nearest.md")])
def test_the_fusion_weighs_the_rankings_with_the_modules_constants(
    db, plan, monkeypatch, vector_weight, first
):
    entity = make_entity(db)
    for seed, (name, noise, text) in enumerate(
        (("nearest.md", 0.05, "Opening hours."), ("words.md", 3.0, "Sunscreen samples.")), start=91
    ):
        add_document(db, entity=entity, document_name=name, vectors=[near(QUERY, seed, noise)], texts=[text])
    monkeypatch.setattr(retrieval, "VECTOR_WEIGHT", vector_weight)

    assert search(db, entity, "sunscreen samples", k=2)[0].document_name == first


def test_the_search_functions_parse_the_question_in_every_configuration_the_chunks_use(db):
    import re

    from sqlalchemy import text

    from meetings.manager.knowledge.language import SEARCH_CONFIGS

    for function in ("kb_hybrid_chunks_exact", "kb_hybrid_chunks_indexed"):
        source = db.execute(
            text("SELECT prosrc FROM pg_proc WHERE proname = :name"), {"name": function}
        ).scalar_one()
        configs = re.search(r"ARRAY\[([^\]]*)\] AS regconfig\[\]", source).group(1)
        assert [name.strip(" '") for name in configs.split(",")] == list(SEARCH_CONFIGS)
        # under `simple`, a word counts only when no language stops it
        stopped_by = re.findall(r"length\(to_tsvector\('(\w+)', lexeme\)\)", source)
        assert sorted(stopped_by) == sorted(config for config in SEARCH_CONFIGS if config != "simple")
