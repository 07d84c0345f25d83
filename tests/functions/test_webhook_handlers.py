"""The webhook Lambdas with the events AWS sends: the sweep (EventBridge) queues leased delivery ids on
SQS (moto), the dispatcher (SQS) sends them to a real receiver; duplicates and stale leases do nothing."""

import json

import boto3
import pytest
from moto import mock_aws
from sqlalchemy import select

from meetings.notifications import queue
from meetings.notifications.catalogue import EventType
from meetings.notifications.models import WebhookDelivery
from meetings.notifications.outbox import emit
from tests.notifications.conftest import make_endpoint
from tests.recordings.aws_events import LambdaContext, scheduled_event
from tests.recordings.support import load_function


@pytest.fixture
def sqs_queue(monkeypatch):
    from meetings.settings import get_settings

    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="webhooks")["QueueUrl"]
        monkeypatch.setenv("WEBHOOK_QUEUE_URL", url)
        monkeypatch.setattr(queue, "SWEEP_IDLE_SECONDS", 0)
        get_settings.cache_clear()
        sqs.url = url
        yield sqs
    get_settings.cache_clear()


def sqs_event(messages: list[dict]) -> dict:
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:webhooks",
                "awsRegion": "us-east-1",
            }
            for message in messages
        ]
    }


def test_sweep_then_dispatch_delivers_once(committed, sqs_queue, receiver, allow_loopback):
    entity = committed.entity()
    endpoint = make_endpoint(committed.session, entity, receiver.url)
    for room in ("a", "b"):
        emit(db=committed.session, entity_id=entity.id, type=EventType.ROOM_STARTED, data={"room_id": room})
    committed.session.commit()
    sweep, dispatch = load_function("webhook_sweep").handler, load_function("webhook_dispatcher").handler

    assert sweep(scheduled_event(), LambdaContext(60_000, 60_000, 5_000)) == {"rounds": 2, "queued": 2}
    [message] = sqs_queue.receive_message(QueueUrl=sqs_queue.url, MaxNumberOfMessages=10)["Messages"]
    assert len(json.loads(message["Body"])["deliveries"]) == 2  # ids and lease tokens, no payload

    assert dispatch(sqs_event([message]), LambdaContext(60_000)) == {
        "claimed": 2,
        "succeeded": 2,
        "failed": 0,
    }
    assert dispatch(sqs_event([message]), LambdaContext(60_000)) == {
        "claimed": 0,
        "succeeded": 0,
        "failed": 0,
    }
    assert sweep(scheduled_event(), LambdaContext(60_000, 5_000)) == {"rounds": 1, "queued": 0}

    requests = receiver.wait_for(2)
    assert sorted(request.verify(endpoint.secret)["data"]["room_id"] for request in requests) == ["a", "b"]
    committed.session.expire_all()
    statuses = committed.session.execute(
        select(WebhookDelivery.status).where(WebhookDelivery.endpoint_id == endpoint.id)
    )
    assert sorted(statuses.scalars()) == ["SUCCEEDED", "SUCCEEDED"]


def test_a_message_whose_lease_was_swept_again_is_ignored(committed, sqs_queue, receiver, allow_loopback):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    entity = committed.entity()
    make_endpoint(committed.session, entity, receiver.url)
    emit(db=committed.session, entity_id=entity.id, type=EventType.ROOM_ENDED, data={"room_id": "a"})
    committed.session.commit()
    queue.sweep_once(db=committed.session, sqs=sqs_queue, queue_url=sqs_queue.url)
    # The first message waited longer than its lease: the next sweep queues the delivery again.
    committed.session.execute(
        update(WebhookDelivery).values(lease_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    committed.session.commit()
    queue.sweep_once(db=committed.session, sqs=sqs_queue, queue_url=sqs_queue.url)
    stale, fresh = sqs_queue.receive_message(QueueUrl=sqs_queue.url, MaxNumberOfMessages=10)["Messages"]

    dispatch = load_function("webhook_dispatcher").handler
    assert dispatch(sqs_event([stale]), LambdaContext(60_000))["claimed"] == 0
    assert dispatch(sqs_event([fresh]), LambdaContext(60_000))["succeeded"] == 1
    assert len(receiver.wait_for(1)) == 1
