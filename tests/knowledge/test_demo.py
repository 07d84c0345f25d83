"""The `make run` demo documents: uploaded once, then ingested by the same service as any upload."""

from devserver.demo import knowledge as demo
from meetings.manager.knowledge.ingest import ingest_s3_object
from meetings.manager.knowledge.retrieval import search_knowledge_text
from meetings.settings import get_settings
from tests.factories import make_department, make_entity


def test_demo_documents_are_uploaded_once_and_show_the_department_override(db, kb_bucket, embedder):
    entity = make_entity(db)
    cardiology = make_department(db, entity)
    context = {"entity_id": entity.id, "department_id": cardiology.id}

    lines = demo.seed(db, context)
    again = demo.seed(db, context)

    assert len(lines) == 1 and again == []
    keys = [item["Key"] for item in kb_bucket.list_objects_v2(Bucket=get_settings().kb_bucket)["Contents"]]
    assert sorted(keys) == [f"kb/{entity.id}/{cardiology.id}/faq.md", f"kb/{entity.id}/entity/faq.md"]
    for key in keys:
        assert (
            ingest_s3_object(db=db, bucket=get_settings().kb_bucket, key=key, embedder=embedder).status
            == "ingested"
        )
    question = "How much is a consultation?"
    entity_wide = search_knowledge_text(db=db, entity_id=entity.id, department_id=None, query=question, k=1)
    in_cardiology = search_knowledge_text(
        db=db, entity_id=entity.id, department_id=cardiology.id, query=question, k=1
    )
    assert "350" in entity_wide[0].text and "480" in in_cardiology[0].text


def test_demo_documents_wait_for_ingestion_like_any_upload(db, kb_bucket):
    from sqlalchemy import select

    from meetings.manager.knowledge.models import DocumentStatus, KnowledgeDocument

    entity = make_entity(db)
    cardiology = make_department(db, entity)

    demo.seed(db, {"entity_id": entity.id, "department_id": cardiology.id})

    rows = (
        db.execute(select(KnowledgeDocument).where(KnowledgeDocument.entity_id == entity.id)).scalars().all()
    )
    assert sorted(
        (row.department_id or 0, row.status, row.s3_key, row.content_type) for row in rows
    ) == sorted(
        [
            (0, DocumentStatus.PENDING, f"kb/{entity.id}/entity/faq.md", "text/markdown"),
            (
                cardiology.id,
                DocumentStatus.PENDING,
                f"kb/{entity.id}/{cardiology.id}/faq.md",
                "text/markdown",
            ),
        ]
    )
    assert {row.size_bytes for row in rows} == {
        len(demo.CLINIC_FAQ.encode()),
        len(demo.CARDIOLOGY_PRICES.encode()),
    }
