"""Fair ingestion: an entity holds at most MAX_PENDING_PER_ENTITY places in the ingestion queue, so
one tenant's batch cannot keep another's documents waiting behind it."""

from datetime import UTC, datetime, timedelta

import pytest

from meetings.manager.knowledge.models import DocumentStatus, KnowledgeDocument
from meetings.manager.knowledge.service import MAX_PENDING_PER_ENTITY, PENDING_WINDOW
from meetings.manager.users.models import UserRole
from meetings.settings import get_settings
from tests.factories import make_entity, make_user

BUCKET = get_settings().kb_bucket


@pytest.fixture
def clinic(db):
    return make_entity(db)


@pytest.fixture
def headers(db, clinic, auth_headers):
    return auth_headers(make_user(db, role=UserRole.ENTITY_ADMIN, entity=clinic))


def url(entity_id: int) -> str:
    return f"/v1/entities/{entity_id}/knowledge-base/documents"


def add_documents(db, entity, count: int, status=DocumentStatus.PENDING, updated_at=None, prefix="queued"):
    for index in range(count):
        fields = {"updated_at": updated_at} if updated_at else {}
        db.add(
            KnowledgeDocument(
                entity_id=entity.id,
                document_name=f"{prefix}-{index}.md",
                status=status,
                chunk_count=0,
                **fields,
            )
        )
    db.flush()


def upload(client, headers, entity_id, name="new.md"):
    return client.post(
        url(entity_id), headers=headers, files={"file": (name, b"# New\nText.", "text/markdown")}
    )


def announce(client, headers, entity_id, name="new.pdf"):
    body = {"document_name": name, "content_type": "application/pdf", "size_bytes": 1000}
    return client.post(url(entity_id), headers=headers, json=body)


def test_an_entity_with_its_share_pending_is_asked_to_wait_and_nothing_is_stored(
    db, knowledge_api, clinic, headers, kb_bucket
):
    add_documents(db, clinic, MAX_PENDING_PER_ENTITY)

    direct, presigned = upload(knowledge_api, headers, clinic.id), announce(knowledge_api, headers, clinic.id)

    assert direct.status_code == presigned.status_code == 429
    assert direct.json()["error"]["code"] == presigned.json()["error"]["code"] == "too_many_pending_documents"
    assert direct.headers["Retry-After"] == "60"
    assert direct.json()["error"]["details"]["max_pending"] == MAX_PENDING_PER_ENTITY
    assert kb_bucket.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0
    assert db.query(KnowledgeDocument).filter_by(entity_id=clinic.id).count() == MAX_PENDING_PER_ENTITY


def test_one_below_the_share_is_accepted(db, knowledge_api, clinic, headers, kb_bucket):
    add_documents(db, clinic, MAX_PENDING_PER_ENTITY - 1)

    assert upload(knowledge_api, headers, clinic.id).status_code == 202
    assert upload(knowledge_api, headers, clinic.id, "second.md").status_code == 429


def test_replacing_a_document_that_is_already_pending_takes_no_new_place(
    db, knowledge_api, clinic, headers, kb_bucket
):
    add_documents(db, clinic, MAX_PENDING_PER_ENTITY)

    response = upload(knowledge_api, headers, clinic.id, "queued-0.md")

    assert response.status_code == 202, response.text


def test_another_entitys_queue_does_not_count(db, knowledge_api, clinic, headers, kb_bucket):
    add_documents(db, make_entity(db), MAX_PENDING_PER_ENTITY)

    assert upload(knowledge_api, headers, clinic.id).status_code == 202


def test_finished_documents_and_stale_pending_rows_do_not_count(
    db, knowledge_api, clinic, headers, kb_bucket
):
    add_documents(db, clinic, MAX_PENDING_PER_ENTITY, DocumentStatus.READY, prefix="ready")
    add_documents(db, clinic, MAX_PENDING_PER_ENTITY, DocumentStatus.FAILED, prefix="failed")
    long_ago = datetime.now(UTC) - PENDING_WINDOW - timedelta(minutes=1)
    add_documents(db, clinic, MAX_PENDING_PER_ENTITY, updated_at=long_ago, prefix="abandoned")

    assert upload(knowledge_api, headers, clinic.id).status_code == 202
