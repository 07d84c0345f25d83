"""Documents API: presigned and direct uploads, list, get, delete, with every bad input and tenant rule."""

import base64
import json

import pytest

from meetings.identity.roles import UserRole
from meetings.manager.knowledge.ingest import ingest_s3_object
from meetings.manager.knowledge.models import DocumentStatus, KnowledgeDocument
from meetings.settings import get_settings
from tests.factories import make_department, make_entity, make_user
from tests.knowledge.conftest import chunk_rows
from tests.knowledge.documents import make_docx, make_pdf

BUCKET = get_settings().kb_bucket
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def clinic(db):
    return make_entity(db)


@pytest.fixture
def admin_headers(db, clinic, auth_headers):
    return auth_headers(make_user(db, role=UserRole.ENTITY_ADMIN, entity=clinic))


@pytest.fixture
def manager_headers(db, auth_headers):
    return auth_headers(make_user(db, role=UserRole.MANAGER))


def documents_url(entity_id: int) -> str:
    return f"/v1/entities/{entity_id}/knowledge-base/documents"


def upload_file(client, headers, entity_id, name, content, content_type, **form):
    return client.post(
        documents_url(entity_id), headers=headers, files={"file": (name, content, content_type)}, data=form
    )


def test_json_upload_answers_with_a_presigned_post_limited_to_type_and_size(
    db, knowledge_api, clinic, admin_headers, kb_bucket
):
    department = make_department(db, clinic)
    body = {
        "document_name": "prices.pdf",
        "content_type": "application/pdf",
        "size_bytes": 1200,
        "department_id": department.id,
    }

    response = knowledge_api.post(documents_url(clinic.id), headers=admin_headers, json=body)

    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["document"]["status"] == "PENDING"
    assert answer["document"]["department_id"] == department.id
    upload = answer["upload"]
    assert (
        upload["method"] == "POST" and upload["fields"]["key"] == f"kb/{clinic.id}/{department.id}/prices.pdf"
    )
    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    assert ["content-length-range", 1200, 1200] in policy["conditions"]  # exactly the declared size
    assert upload["max_size_bytes"] == 1200
    assert {"key": f"kb/{clinic.id}/{department.id}/prices.pdf"} in policy["conditions"]
    assert {"Content-Type": "application/pdf"} in policy["conditions"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (
            {"document_name": "a.png", "content_type": "image/png", "size_bytes": 10},
            415,
            "unsupported_document_type",
        ),
        (
            {"document_name": "a.bin", "content_type": "application/octet-stream", "size_bytes": 10},
            415,
            "unsupported_document_type",
        ),
        (
            {"document_name": "a.pdf", "content_type": "application/pdf", "size_bytes": 0},
            422,
            "empty_document",
        ),
        (
            {"document_name": "a.pdf", "content_type": "application/pdf", "size_bytes": 60 * 1024 * 1024},
            413,
            "file_too_large",
        ),
    ],
)
def test_json_upload_rejects_bad_documents(
    knowledge_api, clinic, admin_headers, kb_bucket, body, status, code
):
    response = knowledge_api.post(documents_url(clinic.id), headers=admin_headers, json=body)

    assert response.status_code == status
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        (
            {"document_name": "../a.pdf", "content_type": "application/pdf", "size_bytes": 5},
            "document_name",
            "invalid_document_name",
        ),
        *[
            (
                {"document_name": name, "content_type": "application/pdf", "size_bytes": 5},
                "document_name",
                "invalid_document_name",
            )
            for name in ("${filename}", "a{b}.pdf", "price$.pdf", "a}.pdf", "\U0001f600" * 250 + ".pdf")
        ],
        (
            {"document_name": "", "content_type": "application/pdf", "size_bytes": 5},
            "document_name",
            "string_too_short",
        ),
        (
            {"document_name": "a" * 256, "content_type": "application/pdf", "size_bytes": 5},
            "document_name",
            "string_too_long",
        ),
        ({"document_name": "a.pdf", "size_bytes": 5}, "content_type", "missing"),
        (
            {"document_name": "a.pdf", "content_type": "application/pdf", "size_bytes": -1},
            "size_bytes",
            "greater_than_equal",
        ),
        (
            {"document_name": "a.pdf", "content_type": "application/pdf", "size_bytes": 5, "x": 1},
            "x",
            "extra_forbidden",
        ),
    ],
)
def test_json_upload_field_errors(knowledge_api, clinic, admin_headers, kb_bucket, body, field, code):
    response = knowledge_api.post(documents_url(clinic.id), headers=admin_headers, json=body)

    assert response.status_code == 422
    assert {"field": field, "code": code} in [
        {"field": d["field"], "code": d["code"]} for d in response.json()["error"]["details"]
    ]


def test_a_department_of_another_entity_is_refused(db, knowledge_api, clinic, admin_headers, kb_bucket):
    foreign = make_department(db, make_entity(db))
    body = {
        "document_name": "a.md",
        "content_type": "text/markdown",
        "size_bytes": 5,
        "department_id": foreign.id,
    }

    json_answer = knowledge_api.post(documents_url(clinic.id), headers=admin_headers, json=body)
    file_answer = upload_file(
        knowledge_api,
        admin_headers,
        clinic.id,
        "a.md",
        b"# hi",
        "text/markdown",
        department_id=str(foreign.id),
    )

    assert json_answer.status_code == file_answer.status_code == 422
    assert json_answer.json()["error"]["code"] == file_answer.json()["error"]["code"] == "invalid_department"


def test_direct_upload_stores_the_file_and_ingestion_makes_it_ready(
    db, knowledge_api, clinic, admin_headers, kb_bucket, embedder
):
    content = make_docx([("Vaccines", ["The flu vaccine is available every April."])])

    response = upload_file(
        knowledge_api, admin_headers, clinic.id, "vaccines.docx", content, "application/octet-stream"
    )

    assert response.status_code == 202, response.text
    document = response.json()
    assert (document["status"], document["content_type"], document["size_bytes"]) == (
        "PENDING",
        DOCX,
        len(content),
    )
    key = f"kb/{clinic.id}/entity/vaccines.docx"
    stored = kb_bucket.get_object(Bucket=BUCKET, Key=key)
    assert stored["Body"].read() == content and stored["ContentType"] == DOCX

    ingest_s3_object(db=db, bucket=BUCKET, key=key, embedder=embedder)
    listed = knowledge_api.get(documents_url(clinic.id), headers=admin_headers).json()

    assert listed["total"] == 1
    item = listed["items"][0]
    assert (item["document_name"], item["status"], item["chunk_count"], item["page_count"]) == (
        "vaccines.docx",
        "READY",
        1,
        1,
    )
    assert item["uploaded_at"] and item["ingested_at"] and item["error"] is None
    assert knowledge_api.get(f"{documents_url(clinic.id)}/{item['id']}", headers=admin_headers).json() == item


def test_reupload_marks_the_document_pending_and_keeps_one_row(
    db, knowledge_api, clinic, admin_headers, kb_bucket, embedder
):
    first = upload_file(
        knowledge_api, admin_headers, clinic.id, "faq.md", b"Old answer.", "text/markdown"
    ).json()
    ingest_s3_object(db=db, bucket=BUCKET, key=f"kb/{clinic.id}/entity/faq.md", embedder=embedder)

    second = upload_file(
        knowledge_api, admin_headers, clinic.id, "faq.md", b"New answer.", "text/markdown"
    ).json()

    assert second["id"] == first["id"] and second["status"] == "PENDING"
    assert [row.chunk_text for row in chunk_rows(db, clinic.id, "faq.md")] == ["Old answer."]
    ingest_s3_object(db=db, bucket=BUCKET, key=f"kb/{clinic.id}/entity/faq.md", embedder=embedder)
    assert [row.chunk_text for row in chunk_rows(db, clinic.id, "faq.md")] == ["New answer."]


@pytest.mark.parametrize(
    ("name", "content", "content_type", "status", "code"),
    [
        ("photo.png", b"\x89PNG\r\n\x1a\n", "image/png", 415, "unsupported_document_type"),
        ("fake.pdf", b"hello", "application/pdf", 415, "unsupported_document_type"),
        ("empty.txt", b"", "text/plain", 422, "empty_document"),
        ("blank.txt", b"   \n\n ", "text/plain", 422, "empty_document"),
        ("big.txt", b"a" * (5 * 1024 * 1024 + 1), "text/plain", 413, "file_too_large"),
    ],
)
def test_direct_upload_rejects_bad_files_and_stores_nothing(
    db, knowledge_api, clinic, admin_headers, kb_bucket, name, content, content_type, status, code
):
    response = upload_file(knowledge_api, admin_headers, clinic.id, name, content, content_type)

    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert kb_bucket.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0
    assert db.query(KnowledgeDocument).filter_by(entity_id=clinic.id).count() == 0


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog", "cannot be read: the PDF is damaged"),
        ("scan.pdf", make_pdf([""]), "contains no text"),
    ],
)
def test_the_upload_only_sniffs_and_ingestion_fails_what_it_cannot_read(
    db, knowledge_api, clinic, admin_headers, kb_bucket, embedder, name, content, reason
):
    response = upload_file(knowledge_api, admin_headers, clinic.id, name, content, "application/pdf")

    assert response.status_code == 202, response.text
    outcome = ingest_s3_object(db=db, bucket=BUCKET, key=f"kb/{clinic.id}/entity/{name}", embedder=embedder)
    document = knowledge_api.get(f"{documents_url(clinic.id)}/{outcome.document_id}", headers=admin_headers)
    assert (document.json()["status"], outcome.status) == ("FAILED", "failed")
    assert reason in document.json()["error"]


def test_direct_upload_field_errors(knowledge_api, clinic, admin_headers, kb_bucket):
    no_file = knowledge_api.post(
        documents_url(clinic.id), headers=admin_headers, files={"other": ("a", b"x")}
    )
    bad_department = upload_file(
        knowledge_api, admin_headers, clinic.id, "a.md", b"x", "text/markdown", department_id="two"
    )
    bad_name = upload_file(
        knowledge_api, admin_headers, clinic.id, "a.md", b"x", "text/markdown", document_name="a/b.md"
    )
    # 254 characters, but 1,003 bytes of UTF-8: its S3 key would pass S3's 1,024-byte limit
    long_name = upload_file(
        knowledge_api, admin_headers, clinic.id, "\U0001f600" * 250 + ".md", b"# Hi\nhello", "text/markdown"
    )

    assert [(d["field"], d["code"]) for d in no_file.json()["error"]["details"]] == [("file", "missing")]
    assert [(d["field"], d["code"]) for d in bad_department.json()["error"]["details"]] == [
        ("department_id", "int_parsing")
    ]
    assert [(d["field"], d["code"]) for d in bad_name.json()["error"]["details"]] == [
        ("document_name", "invalid_document_name")
    ]
    assert [(d["field"], d["code"]) for d in long_name.json()["error"]["details"]] == [
        ("document_name", "invalid_document_name")
    ]
    assert no_file.status_code == bad_department.status_code == bad_name.status_code == 422
    assert long_name.status_code == 422


def test_other_request_bodies_are_unsupported(knowledge_api, clinic, admin_headers):
    response = knowledge_api.post(
        documents_url(clinic.id), headers={**admin_headers, "Content-Type": "text/plain"}, content=b"x"
    )

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_delete_removes_chunks_row_and_every_version_of_the_file(
    db, knowledge_api, clinic, admin_headers, kb_bucket, embedder
):
    key = f"kb/{clinic.id}/entity/faq.md"
    upload_file(knowledge_api, admin_headers, clinic.id, "faq.md", b"v1 text", "text/markdown")
    document = upload_file(
        knowledge_api, admin_headers, clinic.id, "faq.md", b"v2 text", "text/markdown"
    ).json()
    ingest_s3_object(db=db, bucket=BUCKET, key=key, embedder=embedder)

    response = knowledge_api.delete(f"{documents_url(clinic.id)}/{document['id']}", headers=admin_headers)

    assert response.status_code == 204
    assert chunk_rows(db, clinic.id, "faq.md") == []
    assert db.get(KnowledgeDocument, document["id"]) is None
    versions = kb_bucket.list_object_versions(Bucket=BUCKET, Prefix=key)
    assert versions.get("Versions", []) == [] and versions.get("DeleteMarkers", []) == []
    again = knowledge_api.delete(f"{documents_url(clinic.id)}/{document['id']}", headers=admin_headers)
    assert again.status_code == 404 and again.json()["error"]["code"] == "document_not_found"


def test_list_filters_by_department_and_paginates(db, knowledge_api, clinic, admin_headers):
    department = make_department(db, clinic)
    for name, scope in (("a.md", None), ("b.md", department), ("c.md", None)):
        db.add(
            KnowledgeDocument(
                entity_id=clinic.id,
                department_id=scope.id if scope else None,
                document_name=name,
                status=DocumentStatus.READY,
                chunk_count=1,
            )
        )
    db.flush()

    page = knowledge_api.get(
        documents_url(clinic.id), headers=admin_headers, params={"limit": 2, "offset": 1}
    ).json()
    only_department = knowledge_api.get(
        documents_url(clinic.id), headers=admin_headers, params={"department_id": department.id}
    ).json()

    assert page["total"] == 3 and [item["document_name"] for item in page["items"]] == ["b.md", "c.md"]
    assert [item["document_name"] for item in only_department["items"]] == ["b.md"]


def test_requests_without_a_token_are_unauthorized(knowledge_api, clinic):
    assert knowledge_api.get(documents_url(clinic.id)).status_code == 401
    assert knowledge_api.post(documents_url(clinic.id), json={}).status_code == 401
    assert knowledge_api.delete(f"{documents_url(clinic.id)}/1").status_code == 401


def test_another_entitys_documents_read_as_missing(
    db, knowledge_api, clinic, admin_headers, manager_headers, kb_bucket
):
    other = make_entity(db)
    foreign = KnowledgeDocument(
        entity_id=other.id, document_name="secret.md", status=DocumentStatus.READY, chunk_count=0
    )
    db.add(foreign)
    db.flush()
    body = {"document_name": "a.md", "content_type": "text/markdown", "size_bytes": 5}

    answers = [
        knowledge_api.get(documents_url(other.id), headers=admin_headers),
        knowledge_api.get(f"{documents_url(other.id)}/{foreign.id}", headers=admin_headers),
        knowledge_api.get(f"{documents_url(clinic.id)}/{foreign.id}", headers=admin_headers),
        knowledge_api.delete(f"{documents_url(other.id)}/{foreign.id}", headers=admin_headers),
        knowledge_api.post(documents_url(other.id), headers=admin_headers, json=body),
        upload_file(knowledge_api, admin_headers, other.id, "a.md", b"hi", "text/markdown"),
    ]

    assert [answer.status_code for answer in answers] == [404] * 6
    assert [a.json()["error"]["code"] for a in answers] == [
        "entity_not_found",
        "entity_not_found",
        "document_not_found",
        "entity_not_found",
        "entity_not_found",
        "entity_not_found",
    ]
    assert db.get(KnowledgeDocument, foreign.id) is not None
    managed = knowledge_api.get(documents_url(other.id), headers=manager_headers).json()
    assert [item["document_name"] for item in managed["items"]] == ["secret.md"]


def test_the_upload_route_documents_its_error_answers(knowledge_api):
    operation = knowledge_api.get("/openapi.json").json()["paths"][documents_url("{entity_id}")]["post"]

    for status in ("413", "415", "422", "429"):
        response = operation["responses"][status]
        assert response["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorResponse"
        }
    assert "document_too_large" in operation["responses"]["413"]["description"]
    assert "too_many_pending_documents" in operation["responses"]["429"]["description"]
