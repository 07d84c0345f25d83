"""POST /v1/entities/{id}/knowledge-base/search end to end: upload, ingest with MiniLM, search."""

import pytest

from meetings.identity.roles import UserRole
from meetings.manager.knowledge.ingest import DocumentLocation, ingest_s3_object
from meetings.settings import get_settings
from tests.factories import make_department, make_entity, make_user
from tests.knowledge.documents import make_pdf

BUCKET = get_settings().kb_bucket

ENTITY_PRICES = b"# Prices\nA general consultation costs 200 reais, paid at the front desk."
CARDIOLOGY_PRICES = b"# Prices\nA cardiology consultation including an electrocardiogram costs 480 reais."
HOURS = b"# Opening hours\nWe are open Monday to Friday from 7 am until 7 pm."
OTHER_CLINIC = b"# Prices\nAt our dental office a cleaning costs 150 reais."


@pytest.fixture
def setting(db, knowledge_api, kb_bucket, embedder, auth_headers):
    """A clinic with entity-wide prices and hours, a cardiology version of the prices, and a rival clinic."""
    clinic, rival = make_entity(db), make_entity(db)
    cardiology, pediatrics = make_department(db, clinic), make_department(db, clinic)
    uploads = [
        (DocumentLocation(clinic.id, None, "prices.md"), ENTITY_PRICES),
        (DocumentLocation(clinic.id, None, "hours.md"), HOURS),
        (DocumentLocation(clinic.id, cardiology.id, "prices.md"), CARDIOLOGY_PRICES),
        (DocumentLocation(clinic.id, pediatrics.id, "vaccines.pdf"), None),
        (DocumentLocation(rival.id, None, "prices.md"), OTHER_CLINIC),
    ]
    for location, content in uploads:
        content_type = "text/markdown" if content else "application/pdf"
        content = content or make_pdf(["Children receive the measles vaccine at twelve months."])
        kb_bucket.put_object(Bucket=BUCKET, Key=location.key, Body=content, ContentType=content_type)
        assert (
            ingest_s3_object(db=db, bucket=BUCKET, key=location.key, embedder=embedder).status == "ingested"
        )
    admin = auth_headers(make_user(db, role=UserRole.ENTITY_ADMIN, entity=clinic))
    return clinic, rival, cardiology, pediatrics, admin


def search(client, headers, entity_id, **body):
    return client.post(f"/v1/entities/{entity_id}/knowledge-base/search", headers=headers, json=body)


def test_a_question_phrased_differently_finds_the_right_document(knowledge_api, setting):
    clinic, _, _, _, admin = setting

    response = search(
        knowledge_api, admin, clinic.id, query="When can I come in? What time do you close?", k=1
    )

    assert response.status_code == 200, response.text
    [best] = response.json()["results"]
    assert best["document_name"] == "hours.md" and best["page"] == 1 and best["section"] == "Opening hours"
    assert 0 < best["score"] <= 1 and "7 pm" in best["text"]


def test_department_documents_override_entity_wide_ones_of_the_same_name(knowledge_api, setting):
    clinic, _, cardiology, pediatrics, admin = setting
    question = "How much does an appointment cost?"

    in_cardiology = search(
        knowledge_api, admin, clinic.id, query=question, department_id=cardiology.id, k=10
    ).json()
    in_pediatrics = search(
        knowledge_api, admin, clinic.id, query=question, department_id=pediatrics.id, k=10
    ).json()
    entity_wide = search(knowledge_api, admin, clinic.id, query=question, k=10).json()

    def scopes(answer):
        return sorted((r["document_name"], r["department_id"]) for r in answer["results"])

    assert scopes(in_cardiology) == [("hours.md", None), ("prices.md", cardiology.id)]
    assert (
        in_cardiology["results"][0]["document_name"] == "prices.md"
        and "480" in in_cardiology["results"][0]["text"]
    )
    assert scopes(in_pediatrics) == [("hours.md", None), ("prices.md", None), ("vaccines.pdf", pediatrics.id)]
    assert scopes(entity_wide) == [("hours.md", None), ("prices.md", None)]
    scores = [r["score"] for r in in_pediatrics["results"]]
    assert scores == sorted(scores, reverse=True)


def test_another_entitys_chunks_are_never_returned(knowledge_api, setting):
    clinic, rival, _, _, admin = setting

    answer = search(knowledge_api, admin, clinic.id, query="How much is a dental cleaning?", k=50).json()

    assert "dental" not in " ".join(result["text"] for result in answer["results"])
    assert len(answer["results"]) == 2


def test_another_entity_reads_as_missing_and_a_foreign_department_is_invalid(db, knowledge_api, setting):
    clinic, rival, _, _, admin = setting
    foreign_department = make_department(db, rival)

    missing = search(knowledge_api, admin, rival.id, query="prices")
    invalid = search(knowledge_api, admin, clinic.id, query="prices", department_id=foreign_department.id)

    assert missing.status_code == 404 and missing.json()["error"]["code"] == "entity_not_found"
    assert invalid.status_code == 422 and invalid.json()["error"]["code"] == "invalid_department"


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"query": "", "k": 5}, "query", "string_too_short"),
        ({"query": "x" * 2001}, "query", "string_too_long"),
        ({"k": 5}, "query", "missing"),
        ({"query": "prices", "k": 0}, "k", "greater_than_equal"),
        ({"query": "prices", "k": 51}, "k", "less_than_equal"),
        ({"query": "prices", "department_id": "cardiology"}, "department_id", "int_parsing"),
    ],
)
def test_bad_search_requests(db, knowledge_api, auth_headers, body, field, code):
    clinic = make_entity(db)
    headers = auth_headers(make_user(db, role=UserRole.ENTITY_ADMIN, entity=clinic))

    response = search(knowledge_api, headers, clinic.id, **body)

    assert response.status_code == 422
    assert (field, code) in [(d["field"], d["code"]) for d in response.json()["error"]["details"]]


def test_search_requires_a_token(db, knowledge_api):
    clinic = make_entity(db)
    assert search(knowledge_api, {}, clinic.id, query="prices").status_code == 401
