"""The crafted uploads that once exhausted the platform, through the real upload route and ingestion:
each is answered with a 4xx or ends FAILED with its reason (or READY), within tight child limits."""

import pytest

from meetings.manager.knowledge import isolation
from meetings.manager.knowledge.ingest import ingest_s3_object
from meetings.manager.knowledge.isolation import ExtractionLimits
from meetings.manager.users.models import UserRole
from meetings.settings import get_settings
from tests.factories import make_entity, make_user
from tests.knowledge.conftest import chunk_rows
from tests.knowledge.hostile import (
    docx_bomb,
    malformed_part_docx,
    shared_content_pdf,
    spaces_heading_markdown,
)

BUCKET = get_settings().kb_bucket
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(autouse=True)
def tight_limits(monkeypatch):
    """Far below what the unprotected extractor needed for any of these files (20 s to minutes of CPU,
    over 1 GB of memory): a pass means the budgets stopped them, not the limits."""
    monkeypatch.setattr(
        isolation, "LIMITS", ExtractionLimits(cpu_seconds=5, memory_bytes=384 * 1024 * 1024, wall_seconds=60)
    )


@pytest.fixture
def clinic(db):
    return make_entity(db)


@pytest.fixture
def headers(db, clinic, auth_headers):
    return auth_headers(make_user(db, role=UserRole.ENTITY_ADMIN, entity=clinic))


def upload_and_ingest(client, db, headers, clinic, embedder, name, content, content_type):
    url = f"/v1/entities/{clinic.id}/knowledge-base/documents"
    response = client.post(url, headers=headers, files={"file": (name, content, content_type)})
    assert response.status_code == 202, response.text
    ingest_s3_object(db=db, bucket=BUCKET, key=f"kb/{clinic.id}/entity/{name}", embedder=embedder)
    return client.get(f"{url}/{response.json()['id']}", headers=headers).json()


def test_a_heading_of_3000_spaces_is_ingested_as_text(
    db, knowledge_api, clinic, headers, kb_bucket, embedder
):
    document = upload_and_ingest(
        knowledge_api,
        db,
        headers,
        clinic,
        embedder,
        "spaces.md",
        spaces_heading_markdown(3000),
        "text/markdown",
    )

    assert document["status"] == "READY", document["error"]
    assert "# a b\nBody text." in " ".join(row.chunk_text for row in chunk_rows(db, clinic.id, "spaces.md"))


def test_500_pages_sharing_one_content_stream_fail_with_the_reason(
    db, knowledge_api, clinic, headers, kb_bucket, embedder
):
    document = upload_and_ingest(
        knowledge_api, db, headers, clinic, embedder, "shared.pdf", shared_content_pdf(500), "application/pdf"
    )

    assert (document["status"], document["chunk_count"]) == ("FAILED", 0)
    assert "drawing instructions" in document["error"]


def test_a_docx_zip_bomb_is_refused_at_upload_and_fails_when_it_reaches_ingestion_directly(
    db, knowledge_api, clinic, headers, kb_bucket, embedder
):
    content = docx_bomb()
    url = f"/v1/entities/{clinic.id}/knowledge-base/documents"

    response = knowledge_api.post(url, headers=headers, files={"file": ("bomb.docx", content, DOCX)})

    assert response.status_code == 413
    error = response.json()["error"]
    assert (error["code"], error["details"]["limit"]) == ("document_too_large", "docx_xml_bytes")
    assert kb_bucket.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0

    key = f"kb/{clinic.id}/entity/bomb.docx"  # as a presigned upload stores it, unsniffed
    kb_bucket.put_object(Bucket=BUCKET, Key=key, Body=content, ContentType=DOCX)
    outcome = ingest_s3_object(db=db, bucket=BUCKET, key=key, embedder=embedder)
    document = knowledge_api.get(f"{url}/{outcome.document_id}", headers=headers).json()
    assert document["status"] == "FAILED" and "XML parts expand" in document["error"]


def test_a_docx_with_a_malformed_part_fails_with_the_reason_instead_of_staying_pending(
    db, knowledge_api, clinic, headers, kb_bucket, embedder
):
    document = upload_and_ingest(
        knowledge_api, db, headers, clinic, embedder, "broken.docx", malformed_part_docx(), DOCX
    )

    assert document["status"] == "FAILED"
    assert document["error"] == "The document cannot be read: the DOCX file is damaged."
