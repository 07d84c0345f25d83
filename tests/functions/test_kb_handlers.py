"""The knowledge-base Lambdas called with the events AWS sends: S3 ObjectCreated and API Gateway HTTP API."""

import importlib.util
import json
import uuid
from pathlib import Path
from urllib.parse import quote_plus

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


class LambdaContext:
    function_name = "kb-ingest"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:kb-ingest"
    memory_limit_in_mb = 3008
    aws_request_id = "6f7c1d2e-0000-4000-8000-000000000002"
    log_group_name = "/aws/lambda/kb-ingest"
    log_stream_name = "2026/11/26/[$LATEST]abc"

    def get_remaining_time_in_millis(self) -> int:
        return 600_000


def load_function(name: str):
    """Imports functions/<name>/handler.py as the Lambda runtime would (a module of its own)."""
    spec = importlib.util.spec_from_file_location(f"{name}_handler", FUNCTIONS / name / "handler.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def s3_event(bucket: str, *keys: str, event_name: str = "ObjectCreated:Put") -> dict:
    """An S3 notification as AWS documents it: keys URL-encoded (spaces as +)."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": "2026-11-26T14:03:11.000Z",
                "eventName": event_name,
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "kb-ingest",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "size": 10,
                        "eTag": "abc",
                        "sequencer": "0A1",
                    },
                },
            }
            for key in keys
        ]
    }


@pytest.fixture
def committed(engine):
    """A session whose work is committed (the handlers use their own sessions); its entities are deleted after."""
    from meetings.db_scope import set_db_scope
    from meetings.manager.entities.models import Entity

    session = set_db_scope(Session(engine, expire_on_commit=False), "manager")
    session.created_entities = []
    yield session
    session.rollback()
    for entity_id in session.created_entities:
        entity = session.get(Entity, entity_id)
        if entity is not None:
            session.delete(entity)
    session.commit()
    session.close()


@pytest.fixture
def kb_bucket():
    """The knowledge-base bucket on moto's in-process S3."""
    from moto import mock_aws

    from meetings.settings import get_settings
    from meetings.storage import s3_client

    with mock_aws():
        s3_client.cache_clear()
        client = s3_client()
        client.create_bucket(Bucket=get_settings().kb_bucket)
        yield client
    s3_client.cache_clear()


@pytest.fixture(scope="session")
def embedder():
    from meetings.embeddings import get_embedder

    return get_embedder()


def new_entity(session):
    from tests.factories import make_entity

    entity = make_entity(session, name=f"KB handler clinic {uuid.uuid4()}")
    session.created_entities.append(entity.id)
    return entity


def test_ingest_handler_decodes_keys_and_is_idempotent_on_redelivery(committed, kb_bucket):
    from meetings.manager.knowledge.ingest import DocumentLocation
    from meetings.manager.knowledge.models import DocumentStatus, KnowledgeDocument
    from meetings.settings import get_settings

    bucket = get_settings().kb_bucket
    entity = new_entity(committed)
    committed.commit()
    key = DocumentLocation(entity.id, None, "price list + 2026.md").key
    kb_bucket.put_object(
        Bucket=bucket, Key=key, Body=b"# Prices\nA consultation costs 200.", ContentType="text/markdown"
    )
    handler = load_function("kb_ingest").handler
    event = s3_event(bucket, key, f"kb/{entity.id}/not-a-document-key.md")

    first = handler(event, LambdaContext())
    again = handler(event, LambdaContext())

    assert first == {"objects": 2, "ingested": 1, "skipped": 1}
    assert again == {"objects": 2, "skipped": 1, "unchanged": 1}
    document = committed.execute(
        select(KnowledgeDocument).where(KnowledgeDocument.entity_id == entity.id)
    ).scalar_one()
    assert (document.document_name, document.status, document.chunk_count) == (
        "price list + 2026.md",
        DocumentStatus.READY,
        1,
    )


def test_ingest_handler_ignores_test_events_and_removals(kb_bucket):
    handler = load_function("kb_ingest").handler

    assert handler({"Service": "Amazon S3", "Event": "s3:TestEvent"}, LambdaContext()) == {"objects": 0}
    assert handler(s3_event("b", "kb/1/entity/a.md", event_name="ObjectRemoved:Delete"), LambdaContext()) == {
        "objects": 0
    }


def test_search_handler_serves_the_search_api_through_mangum(committed, embedder):
    from meetings.identity.principal import Principal
    from meetings.identity.roles import UserRole
    from meetings.identity.tokens import issue_access_token
    from meetings.manager.knowledge.ingest import DocumentLocation, ingest_document
    from meetings.settings import get_settings
    from tests.factories import make_user

    entity = new_entity(committed)
    user = make_user(committed, role=UserRole.ENTITY_ADMIN, entity=entity)
    ingest_document(
        db=committed,
        location=DocumentLocation(entity.id, None, "hours.md"),
        content=b"We open at 7 am and close at 7 pm.",
        content_type="text/markdown",
        source_etag='"x"',
        embedder=embedder,
    )
    committed.commit()
    token, _ = issue_access_token(Principal(user.id, user.role, user.entity_id), get_settings())
    handler = load_function("kb_search").handler
    event = {
        "version": "2.0",
        "routeKey": "POST /v1/entities/{entity_id}/knowledge-base/search",
        "rawPath": f"/v1/entities/{entity.id}/knowledge-base/search",
        "rawQueryString": "",
        "headers": {"authorization": f"Bearer {token}", "content-type": "application/json"},
        "requestContext": {
            "http": {
                "method": "POST",
                "path": f"/v1/entities/{entity.id}/knowledge-base/search",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": "test",
            },
            "requestId": "r1",
            "stage": "$default",
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "time": "26/Nov/2026:04:00:00 +0000",
            "timeEpoch": 1795665600000,
        },
        "body": json.dumps({"query": "What time do you close?", "k": 3}),
        "isBase64Encoded": False,
    }

    try:
        answer = handler(event, LambdaContext())
    finally:
        committed.delete(user)
        committed.commit()

    assert answer["statusCode"] == 200, answer
    [result] = json.loads(answer["body"])["results"]
    assert result["document_name"] == "hours.md" and "7 pm" in result["text"]
