"""Ingestion of S3 objects with the real MiniLM model: chunks, metadata, redelivery, replacement, failures."""

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from meetings.db_scope import set_db_scope
from meetings.manager.knowledge.ingest import (
    DocumentLocation,
    ingest_document,
    ingest_s3_object,
    parse_document_key,
)
from meetings.manager.knowledge.models import DocumentStatus, KnowledgeDocument
from meetings.manager.knowledge.retrieval import search_knowledge_text
from meetings.settings import get_settings
from tests.factories import make_department, make_entity
from tests.knowledge.conftest import chunk_rows
from tests.knowledge.documents import make_pdf

BUCKET = get_settings().kb_bucket

CLINIC_FAQ = b"""# Opening hours
The clinic receives patients from Monday to Friday, 8 am to 6 pm. On Saturdays only the laboratory opens.

# Prices
A first consultation with a specialist costs 350 reais. Follow-up visits within 30 days are free of charge.

# Parking
Patients park for free in the garage on Rua Augusta; show the ticket at the reception desk.
"""


def put(client, key: str, body: bytes, content_type: str = "text/markdown") -> str:
    return client.put_object(Bucket=BUCKET, Key=key, Body=body, ContentType=content_type)["ETag"]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("kb/7/entity/faq.md", DocumentLocation(7, None, "faq.md")),
        ("kb/7/12/price list (2026).pdf", DocumentLocation(7, 12, "price list (2026).pdf")),
        ("kb/7/entity/", None),
        ("kb/x/entity/a.md", None),
        ("kb/7/sales/a.md", None),
        ("kb/7/entity/sub/a.md", None),
        ("recordings/7/entity/a.md", None),
    ],
)
def test_object_keys_parse_back_to_their_document(key, expected):
    assert parse_document_key(key) == expected
    if expected is not None:
        assert expected.key == key


def test_markdown_is_chunked_by_section_embedded_and_found_by_a_paraphrased_question(db, kb_bucket, embedder):
    entity = make_entity(db)
    key = DocumentLocation(entity.id, None, "faq.md").key
    etag = put(kb_bucket, key, CLINIC_FAQ)

    outcome = ingest_s3_object(db=db, bucket=BUCKET, key=key, embedder=embedder)

    assert outcome.status == "ingested" and outcome.chunk_count == 3
    document = db.get(KnowledgeDocument, outcome.document_id)
    assert (document.status, document.chunk_count, document.page_count, document.source_etag) == (
        DocumentStatus.READY,
        3,
        1,
        etag,
    )
    assert [row.chunk_metadata for row in chunk_rows(db, entity.id, "faq.md")] == [
        {"page": 1, "chunk_index": i, "total_chunks": 3, "section": section}
        for i, section in enumerate(["Opening hours", "Prices", "Parking"])
    ]
    best = search_knowledge_text(
        db=db,
        entity_id=entity.id,
        department_id=None,
        query="How much will I pay to see a doctor?",
        k=1,
        embedder=embedder,
    )[0]
    assert best.metadata["section"] == "Prices"
    best = search_knowledge_text(
        db=db,
        entity_id=entity.id,
        department_id=None,
        query="Where can I leave my car?",
        k=1,
        embedder=embedder,
    )[0]
    assert best.metadata["section"] == "Parking"


def test_pdf_chunks_carry_their_page_numbers(db, kb_bucket, embedder):
    entity = make_entity(db)
    key = DocumentLocation(entity.id, None, "protocol.pdf").key
    put(
        kb_bucket,
        key,
        make_pdf(["Fasting for 12 hours before blood tests.", "Bring your insurance card."]),
        "application/pdf",
    )

    ingest_s3_object(db=db, bucket=BUCKET, key=key, embedder=embedder)

    rows = chunk_rows(db, entity.id, "protocol.pdf")
    assert [(row.chunk_metadata["page"], row.chunk_text) for row in rows] == [
        (1, "Fasting for 12 hours before blood tests."),
        (2, "Bring your insurance card."),
    ]


def test_a_redelivered_event_changes_nothing(db, kb_bucket, embedder):
    entity = make_entity(db)
    key = DocumentLocation(entity.id, None, "faq.md").key
    put(kb_bucket, key, CLINIC_FAQ)
    first = ingest_s3_object(db=db, bucket=BUCKET, key=key, embedder=embedder)
    ids = [row.id for row in chunk_rows(db, entity.id, "faq.md")]

    again = ingest_s3_object(db=db, bucket=BUCKET, key=key, embedder=embedder)

    assert again.status == "unchanged" and again.document_id == first.document_id
    assert [row.id for row in chunk_rows(db, entity.id, "faq.md")] == ids


def test_a_new_version_replaces_the_chunks_and_a_stale_event_reads_the_current_object(
    db, kb_bucket, embedder
):
    entity = make_entity(db)
    key = DocumentLocation(entity.id, None, "faq.md").key
    put(kb_bucket, key, CLINIC_FAQ)
    ingest_s3_object(db=db, bucket=BUCKET, key=key, embedder=embedder)
    put(kb_bucket, key, b"# Prices\nConsultations now cost 400 reais.")

    outcome = ingest_s3_object(db=db, bucket=BUCKET, key=key, embedder=embedder)
    stale = ingest_s3_object(
        db=db, bucket=BUCKET, key=key, embedder=embedder
    )  # the first upload's late event

    assert outcome.status == "ingested" and stale.status == "unchanged"
    assert [row.chunk_text for row in chunk_rows(db, entity.id, "faq.md")] == [
        "# Prices\nConsultations now cost 400 reais."
    ]
    assert db.get(KnowledgeDocument, outcome.document_id).chunk_count == 1


def test_the_word_index_follows_the_chunks_through_a_new_version_and_a_failure(db, kb_bucket, embedder):
    from sqlalchemy import text

    def indexed_words() -> set[str]:
        return set(
            db.execute(
                text(
                    "SELECT term.lexeme FROM knowledge_terms AS term JOIN knowledge_base AS kb "
                    "ON kb.id = term.chunk_id WHERE term.entity_id = :e AND kb.document_name = 'faq.md'"
                ),
                {"e": entity.id},
            ).scalars()
        )

    def all_words() -> int:
        return db.execute(
            text("SELECT count(*) FROM knowledge_terms WHERE entity_id = :e"), {"e": entity.id}
        ).scalar()

    entity = make_entity(db)
    key = DocumentLocation(entity.id, None, "faq.md").key
    put(kb_bucket, key, b"# Parking\nThe garage has thirty spaces for patients.")
    ingest_s3_object(db=db, bucket=BUCKET, key=key, embedder=embedder)
    assert {"garage", "thirty", "patients"} <= indexed_words()

    put(kb_bucket, key, b"# Prices\nConsultations now cost 400 reais.")
    ingest_s3_object(db=db, bucket=BUCKET, key=key, embedder=embedder)
    assert "consultations" in indexed_words() and "garage" not in indexed_words()
    assert all_words() == len(indexed_words())  # nothing of the first version is left

    put(kb_bucket, key, b"%PDF-1.7\n1 0 obj << broken", "application/pdf")
    ingest_s3_object(db=db, bucket=BUCKET, key=key, embedder=embedder)
    assert all_words() == 0


def test_an_unreadable_file_marks_the_document_failed_and_drops_its_old_chunks(db, kb_bucket, embedder):
    entity = make_entity(db)
    key = DocumentLocation(entity.id, None, "report.pdf").key
    put(kb_bucket, key, make_pdf(["Version one."]), "application/pdf")
    ingest_s3_object(db=db, bucket=BUCKET, key=key, embedder=embedder)
    put(kb_bucket, key, b"%PDF-1.7\n1 0 obj << broken", "application/pdf")

    outcome = ingest_s3_object(db=db, bucket=BUCKET, key=key, embedder=embedder)

    document = db.get(KnowledgeDocument, outcome.document_id)
    assert outcome.status == "failed"
    assert (document.status, document.chunk_count) == (DocumentStatus.FAILED, 0)
    assert "cannot be read" in document.error
    assert chunk_rows(db, entity.id, "report.pdf") == []
    assert ingest_s3_object(db=db, bucket=BUCKET, key=key, embedder=embedder).status == "unchanged"


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [(b"", "text/plain", "no text"), (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png", "not a supported")],
)
def test_empty_and_unsupported_objects_fail_with_a_reason(
    db, kb_bucket, embedder, body, content_type, reason
):
    entity = make_entity(db)
    key = DocumentLocation(entity.id, None, "upload.bin").key
    put(kb_bucket, key, body, content_type)

    outcome = ingest_s3_object(db=db, bucket=BUCKET, key=key, embedder=embedder)

    assert outcome.status == "failed" and reason in outcome.reason
    assert db.get(KnowledgeDocument, outcome.document_id).status == DocumentStatus.FAILED


def test_objects_that_are_gone_or_belong_to_no_entity_are_skipped(db, kb_bucket, embedder):
    entity = make_entity(db)
    other = make_entity(db)
    foreign_department = make_department(db, other)
    gone = DocumentLocation(entity.id, None, "gone.md").key
    wrong_department = DocumentLocation(entity.id, foreign_department.id, "a.md").key
    put(kb_bucket, wrong_department, b"text")

    assert ingest_s3_object(db=db, bucket=BUCKET, key=gone, embedder=embedder).status == "skipped"
    assert ingest_s3_object(db=db, bucket=BUCKET, key=wrong_department, embedder=embedder).status == "skipped"
    assert ingest_s3_object(db=db, bucket=BUCKET, key="kb/not-a-key", embedder=embedder).status == "skipped"
    assert (
        db.execute(select(KnowledgeDocument).where(KnowledgeDocument.entity_id == entity.id)).first() is None
    )


def test_a_write_whose_object_was_replaced_meanwhile_is_dropped(db, embedder):
    entity = make_entity(db)

    outcome = ingest_document(
        db=db,
        location=DocumentLocation(entity.id, None, "a.md"),
        content=b"old text",
        content_type="text/markdown",
        source_etag='"old"',
        embedder=embedder,
        still_current=lambda: False,
    )

    assert outcome.status == "skipped"
    assert (
        db.execute(select(KnowledgeDocument).where(KnowledgeDocument.entity_id == entity.id)).first() is None
    )


def test_readers_see_the_old_or_the_new_chunks_never_a_mix(engine, embedder):
    with set_db_scope(Session(engine, expire_on_commit=False), "manager") as setup:
        entity = make_entity(setup, name=f"Atomic replace {uuid.uuid4()}")
        setup.commit()
    location = DocumentLocation(entity.id, None, "faq.md")

    def chunk_texts(connection_session: Session) -> list[str]:
        return [row.chunk_text for row in chunk_rows(connection_session, location.entity_id, "faq.md")]

    try:
        with set_db_scope(Session(engine), "jobs") as writer:
            ingest_document(
                db=writer,
                location=location,
                content=CLINIC_FAQ,
                content_type="text/markdown",
                source_etag='"v1"',
                embedder=embedder,
            )
            writer.commit()
        with (
            set_db_scope(Session(engine), "jobs") as writer,
            set_db_scope(Session(engine), "manager") as reader,
        ):
            old = chunk_texts(reader)
            reader.rollback()
            ingest_document(
                db=writer,
                location=location,
                content=b"Only one new chunk.",
                content_type="text/plain",
                source_etag='"v2"',
                embedder=embedder,
            )
            assert chunk_texts(reader) == old and len(old) == 3
            reader.rollback()
            writer.commit()
            assert chunk_texts(reader) == ["Only one new chunk."]
    finally:
        with set_db_scope(Session(engine), "manager") as cleanup:
            cleanup.delete(cleanup.get(type(entity), entity.id))
            cleanup.commit()


def test_an_object_above_the_size_limit_fails_without_being_read(db, embedder):
    from meetings.manager.knowledge.ingest import MAX_DOCUMENT_BYTES

    entity = make_entity(db)

    outcome = ingest_document(
        db=db,
        location=DocumentLocation(entity.id, None, "huge.pdf"),
        content=b"",
        content_type="application/pdf",
        source_etag='"huge"',
        size_bytes=MAX_DOCUMENT_BYTES + 1,
        embedder=embedder,
    )

    assert outcome.status == "failed" and "larger than 50 MB" in outcome.reason
    assert db.get(KnowledgeDocument, outcome.document_id).size_bytes == MAX_DOCUMENT_BYTES + 1


def test_a_version_ingested_meanwhile_is_left_alone_under_the_row_lock(db, embedder):
    entity = make_entity(db)
    location = DocumentLocation(entity.id, None, "faq.md")
    first = ingest_document(
        db=db,
        location=location,
        content=CLINIC_FAQ,
        content_type="text/markdown",
        source_etag='"v1"',
        embedder=embedder,
    )
    ids = [row.id for row in chunk_rows(db, entity.id, "faq.md")]
    ingested_at = db.get(KnowledgeDocument, first.document_id).ingested_at

    # a concurrent delivery of the same version that passed the check before the download
    again = ingest_document(
        db=db,
        location=location,
        content=CLINIC_FAQ,
        content_type="text/markdown",
        source_etag='"v1"',
        embedder=embedder,
    )

    assert (again.status, again.document_id, again.chunk_count) == ("unchanged", first.document_id, 3)
    assert [row.id for row in chunk_rows(db, entity.id, "faq.md")] == ids
    assert db.get(KnowledgeDocument, first.document_id).ingested_at == ingested_at


def test_an_unexpected_error_while_preparing_fails_the_document_instead_of_leaving_it_pending(db, embedder):
    class BrokenEmbedder:
        tokenizer, max_seq_length, dimension = embedder.tokenizer, embedder.max_seq_length, embedder.dimension

        def embed(self, texts, batch_size):
            raise RuntimeError("model server at 10.0.0.7 refused the connection")

    entity = make_entity(db)

    outcome = ingest_document(
        db=db,
        location=DocumentLocation(entity.id, None, "faq.md"),
        content=CLINIC_FAQ,
        content_type="text/markdown",
        source_etag='"v1"',
        embedder=BrokenEmbedder(),
    )

    document = db.get(KnowledgeDocument, outcome.document_id)
    assert (outcome.status, document.status, document.chunk_count) == ("failed", DocumentStatus.FAILED, 0)
    assert "internal error" in document.error and "10.0.0.7" not in document.error


def test_chunks_store_their_heading_and_language_and_embed_the_heading_with_the_text(db, embedder):
    import numpy as np
    from sqlalchemy import text

    from meetings.manager.knowledge.ingest import content_etag

    entity = make_entity(db)
    content = (
        "# Guia do paciente\n\n## Estacionamento\n\nO prédio tem 30 vagas e as duas primeiras horas são "
        "gratuitas para os pacientes da clínica.\n"
    ).encode()
    location = DocumentLocation(entity.id, None, "guia.md")
    ingest_document(
        db=db,
        location=location,
        content=content,
        content_type="text/markdown",
        source_etag=content_etag(content),
        embedder=embedder,
    )

    (chunk,) = chunk_rows(db, entity.id, "guia.md")
    assert chunk.heading == "Guia do paciente › Estacionamento"
    assert chunk.chunk_text.startswith("## Estacionamento\n\nO prédio")
    assert (
        db.execute(
            text("SELECT search_config::text FROM knowledge_base WHERE id = :i"), {"i": chunk.id}
        ).scalar()
        == "portuguese"
    )
    vector = np.asarray(chunk.embedding, dtype=np.float32)
    expected = embedder.embed([f"{chunk.heading}\n{chunk.chunk_text}"])[0]
    assert float(np.dot(vector, expected)) == pytest.approx(1.0, abs=1e-4)
    lexemes = db.execute(
        text("SELECT search_vector::text FROM knowledge_base WHERE id = :i"), {"i": chunk.id}
    ).scalar()
    # heading words weigh A; Portuguese stems; accents folded ("prédio" is indexed as "predi")
    assert "'gui':1A" in lexemes and "'gratuit':17B" in lexemes and "'predi'" in lexemes


def test_a_control_character_in_a_heading_is_dropped_and_the_document_is_ready(db, embedder):
    """Sniffing reads the first 8 KB only: a NUL further on, in a heading, is cleaned like the text."""
    from meetings.manager.knowledge.ingest import content_etag

    entity = make_entity(db)
    content = b"# Intro\n" + b"filler text. " * 700 + b"\n\n# Pri\x00ces\nA consultation costs 350 reais.\n"
    location = DocumentLocation(entity.id, None, "faq.md")

    ingest_document(
        db=db,
        location=location,
        content=content,
        content_type="text/markdown",
        source_etag=content_etag(content),
        embedder=embedder,
    )

    document = db.scalars(select(KnowledgeDocument).where(KnowledgeDocument.entity_id == entity.id)).one()
    assert document.status == DocumentStatus.READY
    headings = [chunk.heading for chunk in chunk_rows(db, entity.id, "faq.md")]
    assert "Intro › Prices" in headings and not any("\x00" in heading for heading in headings)


def test_a_document_deleted_while_its_ingestion_commits_leaves_no_chunk(engine, embedder):
    """The delete waits for the ingestion's row lock, then deletes the chunks that ingestion wrote."""
    import threading
    import time
    from unittest import mock

    from meetings.identity.principal import Principal
    from meetings.identity.roles import UserRole
    from meetings.manager.knowledge import service

    with set_db_scope(Session(engine, expire_on_commit=False), "manager") as setup:
        entity = make_entity(setup, name=f"Delete race {uuid.uuid4()}")
        setup.commit()
    location = DocumentLocation(entity.id, None, "faq.md")
    manager = Principal(1, UserRole.MANAGER, None)

    def ingest(db: Session, content: bytes, etag: str) -> None:
        ingest_document(
            db=db,
            location=location,
            content=content,
            content_type="text/plain",
            source_etag=etag,
            embedder=embedder,
        )

    try:
        with set_db_scope(Session(engine), "jobs") as writer:
            ingest(writer, b"Old version text.", '"v1"')
            writer.commit()
        with set_db_scope(Session(engine, expire_on_commit=False), "manager") as reader:
            document_id = reader.scalars(
                select(KnowledgeDocument.id).where(KnowledgeDocument.entity_id == entity.id)
            ).one()
        failures = []

        def delete_through_the_api() -> None:
            try:
                with set_db_scope(Session(engine), "manager") as api:
                    service.delete_document(
                        db=api, principal=manager, entity_id=entity.id, document_id=document_id
                    )
                    api.commit()
            except Exception as error:  # reported below
                failures.append(error)

        with set_db_scope(Session(engine), "jobs") as writer, mock.patch("meetings.storage.s3_client"):
            ingest(writer, b"New version text.", '"v2"')  # not committed yet
            deleting = threading.Thread(target=delete_through_the_api)
            deleting.start()
            time.sleep(1.0)  # the delete is waiting on the document's row lock
            writer.commit()
            deleting.join(10)
        assert failures == []
        with set_db_scope(Session(engine), "manager") as reader:
            assert reader.get(KnowledgeDocument, document_id) is None
            assert chunk_rows(reader, entity.id, "faq.md") == []
    finally:
        with set_db_scope(Session(engine), "manager") as cleanup:
            cleanup.delete(cleanup.get(type(entity), entity.id))
            cleanup.commit()
