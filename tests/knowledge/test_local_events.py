"""`make run` ingestion: the poller hands new kb/ objects to the ingestion service, once per version."""

import threading
import time
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from devserver.kb_events import ingest_new_objects, start_kb_ingest_poller
from meetings.db_scope import set_db_scope
from meetings.manager.entities.models import Entity
from meetings.manager.knowledge.ingest import DocumentLocation
from meetings.manager.knowledge.models import DocumentStatus, KnowledgeDocument
from meetings.settings import get_settings
from tests.factories import make_entity

BUCKET = get_settings().kb_bucket


@pytest.fixture
def committed_entity(engine):
    with set_db_scope(Session(engine, expire_on_commit=False), "manager") as session:
        entity = make_entity(session, name=f"Local clinic {uuid.uuid4()}")
        session.commit()
    yield entity
    with set_db_scope(Session(engine), "manager") as session:
        session.delete(session.get(Entity, entity.id))
        session.commit()


def document_status(engine, entity_id: int):
    with set_db_scope(Session(engine), "manager") as session:
        return session.execute(
            select(KnowledgeDocument.status, KnowledgeDocument.chunk_count).where(
                KnowledgeDocument.entity_id == entity_id
            )
        ).one_or_none()


def test_new_and_changed_objects_are_ingested_once(engine, embedder, kb_bucket, committed_entity):
    key = DocumentLocation(committed_entity.id, None, "faq.md").key
    kb_bucket.put_object(Bucket=BUCKET, Key=key, Body=b"One answer.", ContentType="text/markdown")
    seen: set = set()

    assert ingest_new_objects(bucket=BUCKET, seen=seen) == [key]
    assert ingest_new_objects(bucket=BUCKET, seen=seen) == []
    kb_bucket.put_object(
        Bucket=BUCKET, Key=key, Body=b"First answer.\n\nSecond answer.", ContentType="text/markdown"
    )
    assert ingest_new_objects(bucket=BUCKET, seen=seen) == [key]
    assert document_status(engine, committed_entity.id) == (DocumentStatus.READY, 1)


def test_the_background_poller_ingests_uploads_until_stopped(engine, embedder, kb_bucket, committed_entity):
    stop = threading.Event()
    thread = start_kb_ingest_poller(bucket=BUCKET, interval=0.05, stop=stop)
    key = DocumentLocation(committed_entity.id, None, "hours.md").key
    kb_bucket.put_object(Bucket=BUCKET, Key=key, Body=b"Open 7 to 7.", ContentType="text/markdown")
    try:
        deadline = time.monotonic() + 30
        while document_status(engine, committed_entity.id) is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)

    assert document_status(engine, committed_entity.id) == (DocumentStatus.READY, 1)
    assert not thread.is_alive()


def test_an_object_whose_ingestion_broke_is_tried_again_next_round(
    engine, embedder, kb_bucket, committed_entity, monkeypatch
):
    import meetings.manager.knowledge.ingest as ingest

    key = DocumentLocation(committed_entity.id, None, "broken-then-fine.md").key
    kb_bucket.put_object(Bucket=BUCKET, Key=key, Body=b"An answer.", ContentType="text/markdown")
    real = ingest.ingest_s3_object

    def database_down(**kwargs):
        raise ConnectionError("database restarting")

    seen: set = set()
    monkeypatch.setattr(ingest, "ingest_s3_object", database_down)
    assert ingest_new_objects(bucket=BUCKET, seen=seen) == []
    monkeypatch.setattr(ingest, "ingest_s3_object", real)
    assert ingest_new_objects(bucket=BUCKET, seen=seen) == [key]
    assert document_status(engine, committed_entity.id) == (DocumentStatus.READY, 1)
