"""The dispatcher against a real receiver on 127.0.0.1: every delivery verifies with the standardwebhooks
library, failures are retried with the same webhook-id, 410 and a failed window disable the endpoint."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from meetings.notifications import transport
from meetings.notifications.catalogue import EventType
from meetings.notifications.dispatch import dispatch_due
from meetings.notifications.models import WebhookAttempt, WebhookDelivery, WebhookMessage
from meetings.notifications.outbox import emit
from meetings.notifications.schedule import MAX_ATTEMPTS, RETRY_DELAYS
from tests.notifications.conftest import make_endpoint
from tests.notifications.receiver import Answer


class Clock:
    """The dispatcher's notion of now, moved by the test (signatures always use the real time)."""

    def __init__(self):
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


def queue_room_started(db, entity, room_id="room-1") -> None:
    emit(
        db=db,
        entity_id=entity.id,
        type=EventType.ROOM_STARTED,
        data={"room_id": room_id, "started_at": "2026-12-01T10:00:00+00:00"},
    )


def deliveries(db) -> list[WebhookDelivery]:
    db.expire_all()
    return db.execute(select(WebhookDelivery).order_by(WebhookDelivery.created_at)).scalars().all()


def status_by_room(db) -> dict[str, str]:
    rows = db.execute(
        select(WebhookMessage.data["room_id"].astext, WebhookDelivery.status).join(
            WebhookMessage, WebhookMessage.id == WebhookDelivery.message_id
        )
    )
    return dict(rows.all())


def attempts(db, delivery) -> list[WebhookAttempt]:
    return (
        db.execute(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery.id)
            .order_by(WebhookAttempt.id)
        )
        .scalars()
        .all()
    )


def test_a_delivery_is_signed_as_standard_webhooks_and_verifies(db, clinic, endpoint, receiver, clock):
    queue_room_started(db, clinic.entity)

    report = dispatch_due(db=db, now=clock)

    assert (report.claimed, report.succeeded) == (1, 1)
    [request] = receiver.wait_for(1)
    payload = request.verify(endpoint.secret)
    assert payload == {
        "type": "room.started",
        "timestamp": payload["timestamp"],
        "data": {
            "entity_id": clinic.entity.id,
            "room_id": "room-1",
            "started_at": "2026-12-01T10:00:00+00:00",
        },
    }
    assert request.webhook_id.startswith("msg_") and request.headers["content-type"] == "application/json"
    [delivery] = deliveries(db)
    assert (delivery.status, delivery.attempts, delivery.lease_token) == ("SUCCEEDED", 1, None)
    [attempt] = attempts(db, delivery)
    assert (attempt.succeeded, attempt.response_status, attempt.error) == (True, 204, None)
    assert dispatch_due(db=db, now=clock).claimed == 0  # acknowledged: never sent again


def test_500s_are_retried_on_the_backoff_schedule_with_the_same_webhook_id(
    db, clinic, endpoint, receiver, clock
):
    receiver.answers = [Answer(500), Answer(503)]
    queue_room_started(db, clinic.entity)

    assert dispatch_due(db=db, now=clock).failed == 1
    assert dispatch_due(db=db, now=clock).claimed == 0  # not due before its delay
    clock.advance(RETRY_DELAYS[0])
    assert dispatch_due(db=db, now=clock).failed == 1
    clock.advance(RETRY_DELAYS[1] - timedelta(seconds=1))
    assert dispatch_due(db=db, now=clock).claimed == 0
    clock.advance(timedelta(seconds=1))
    assert dispatch_due(db=db, now=clock).succeeded == 1

    requests = receiver.wait_for(3)
    assert len({request.webhook_id for request in requests}) == 1
    for request in requests:
        request.verify(endpoint.secret)
    [delivery] = deliveries(db)
    assert [(a.succeeded, a.response_status, a.error) for a in attempts(db, delivery)] == [
        (False, 500, "http_500"),
        (False, 503, "http_503"),
        (True, 204, None),
    ]
    assert (delivery.status, delivery.attempts) == ("SUCCEEDED", 3)


def test_a_timeout_is_an_attempt_that_is_retried(db, clinic, endpoint, receiver, clock, monkeypatch):
    monkeypatch.setattr(transport, "TIMEOUT_SECONDS", 0.5)
    receiver.answers = [Answer(200, delay=2.0)]
    queue_room_started(db, clinic.entity)

    dispatch_due(db=db, now=clock)
    clock.advance(RETRY_DELAYS[0])
    dispatch_due(db=db, now=clock)

    [delivery] = deliveries(db)
    log = attempts(db, delivery)
    assert [(a.succeeded, a.response_status, a.error) for a in log] == [
        (False, None, "timeout"),
        (True, 204, None),
    ]
    assert log[0].duration_ms < 1500
    first, second = receiver.wait_for(2)
    assert first.webhook_id == second.webhook_id


def test_an_answer_trickling_in_is_cut_at_the_deadline(db, clinic, endpoint, receiver, clock, monkeypatch):
    monkeypatch.setattr(transport, "TIMEOUT_SECONDS", 1.0)
    receiver.answers = [Answer(trickle=0.2)]  # every read gets a byte well within the socket timeout
    queue_room_started(db, clinic.entity)
    dispatch_due(db=db, now=clock)

    [delivery] = deliveries(db)
    [attempt] = attempts(db, delivery)
    assert (attempt.response_status, attempt.error) == (None, "timeout")
    assert attempt.duration_ms < 2500


def test_410_disables_the_endpoint_and_cancels_its_queue(
    db, clinic, endpoint, receiver, clock, api, auth_headers
):
    from meetings.manager.app import app

    receiver.default = Answer(410)
    queue_room_started(db, clinic.entity, "room-1")
    dispatch_due(db=db, now=clock, workers=1, limit=1)
    queue_room_started(db, clinic.entity, "room-2")  # no delivery: the endpoint is off

    first, *rest = deliveries(db)
    assert (first.status, rest) == ("FAILED", [])
    answer = api(app).get(
        f"/v1/entities/{clinic.entity.id}/webhook-endpoints/{endpoint.id}", headers=auth_headers(clinic.admin)
    )
    assert answer.json()["status"] == "disabled"
    assert answer.json()["disabled_reason"] == "endpoint_gone"
    clock.advance(timedelta(days=1))
    assert dispatch_due(db=db, now=clock).claimed == 0


def test_a_pending_delivery_is_canceled_when_410_disables_its_endpoint(db, clinic, endpoint, receiver, clock):
    receiver.answers = [Answer(500)]
    queue_room_started(db, clinic.entity, "room-1")
    dispatch_due(db=db, now=clock)  # room-1 waits for its retry
    receiver.answers = [Answer(410)]
    queue_room_started(db, clinic.entity, "room-2")
    dispatch_due(db=db, now=clock)

    assert status_by_room(db) == {"room-1": "CANCELED", "room-2": "FAILED"}


def test_failing_for_the_whole_window_disables_the_endpoint(db, clinic, endpoint, receiver, clock):
    receiver.default = Answer(500)
    queue_room_started(db, clinic.entity)
    for delay in (*RETRY_DELAYS, None):
        assert dispatch_due(db=db, now=clock).failed == 1
        if delay:
            clock.advance(delay)

    [delivery] = deliveries(db)
    assert (delivery.status, delivery.attempts) == ("FAILED", MAX_ATTEMPTS)
    assert sum(RETRY_DELAYS, timedelta(0)) >= timedelta(days=3)
    db.refresh(endpoint)
    assert (endpoint.enabled, endpoint.disabled_reason) == (False, "retries_exhausted")
    assert len(receiver.wait_for(MAX_ATTEMPTS)) == MAX_ATTEMPTS


def test_an_endpoint_that_answers_other_deliveries_is_not_disabled_by_one_that_fails(
    db, clinic, endpoint, receiver, clock
):
    receiver.default = Answer(500)
    queue_room_started(db, clinic.entity, "doomed")
    dispatch_due(db=db, now=clock)
    receiver.default = Answer(204)
    queue_room_started(db, clinic.entity, "fine")
    dispatch_due(db=db, now=clock)  # only "fine" is due: succeeds
    receiver.default = Answer(422)
    for delay in RETRY_DELAYS:
        clock.advance(delay)
        dispatch_due(db=db, now=clock)

    assert status_by_room(db) == {"doomed": "FAILED", "fine": "SUCCEEDED"}
    db.refresh(endpoint)
    assert endpoint.enabled and endpoint.disabled_reason is None


def test_during_a_rotation_both_secrets_sign_and_afterwards_only_the_new_one(
    db, clinic, endpoint, receiver, clock
):
    old_secret = endpoint.secret
    endpoint.previous_secret, endpoint.secret = (
        old_secret,
        "whsec_" + "bmV3LXNlY3JldC1mb3ItdGVzdHMtMDEyMzQ1Njc4OQ==",
    )
    endpoint.previous_secret_expires_at = clock.now + timedelta(hours=24)
    db.flush()
    queue_room_started(db, clinic.entity, "during")
    dispatch_due(db=db, now=clock)
    clock.advance(timedelta(hours=25))
    queue_room_started(db, clinic.entity, "after")
    dispatch_due(db=db, now=clock)

    during, after = receiver.wait_for(2)
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert during.verify(old_secret)["data"]["room_id"] == "during"
    assert during.verify(endpoint.secret)["data"]["room_id"] == "during"
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert after.verify(endpoint.secret)["data"]["room_id"] == "after"
    with pytest.raises(Exception, match="No matching signature"):
        after.verify(old_secret)


def test_redirects_are_not_followed(db, clinic, endpoint, receiver, clock):
    receiver.answers = [Answer(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})]
    queue_room_started(db, clinic.entity)
    dispatch_due(db=db, now=clock)

    [delivery] = deliveries(db)
    assert [(a.response_status, a.error) for a in attempts(db, delivery)] == [(302, "http_302")]
    assert delivery.status == "PENDING" and len(receiver.requests) == 1


def test_an_endless_answer_is_read_only_up_to_the_cap(db, clinic, endpoint, receiver, clock):
    receiver.answers = [Answer(200, stream_bytes=64 * 1024 * 1024)]
    queue_room_started(db, clinic.entity)
    dispatch_due(db=db, now=clock)

    [delivery] = deliveries(db)
    [attempt] = attempts(db, delivery)
    assert (attempt.succeeded, attempt.response_status) == (True, 200)
    assert delivery.status == "SUCCEEDED"


def test_without_the_loopback_setting_a_local_receiver_is_refused(db, clinic, receiver, clock):
    make_endpoint(db, clinic.entity, receiver.url)
    queue_room_started(db, clinic.entity)
    dispatch_due(db=db, now=clock)

    [delivery] = deliveries(db)
    assert [(a.response_status, a.error) for a in attempts(db, delivery)] == [
        (None, "refused:loopback_address")
    ]
    assert receiver.requests == []


def test_each_endpoint_gets_its_own_delivery_and_secret(
    db, clinic, other_clinic, receiver, allow_loopback, clock
):
    first = make_endpoint(db, clinic.entity, receiver.url + "/a")
    second = make_endpoint(db, clinic.entity, receiver.url + "/b", types=[EventType.ROOM_STARTED])
    make_endpoint(db, clinic.entity, receiver.url + "/c", types=[EventType.ROOM_ENDED])
    make_endpoint(db, clinic.entity, receiver.url + "/d", enabled=False)
    make_endpoint(db, other_clinic.entity, receiver.url + "/e")
    queue_room_started(db, clinic.entity)

    assert dispatch_due(db=db, now=clock).succeeded == 2
    by_path = {request.path: request for request in receiver.wait_for(2)}
    assert sorted(by_path) == ["/hooks/a", "/hooks/b"]
    by_path["/hooks/a"].verify(first.secret)
    by_path["/hooks/b"].verify(second.secret)
    assert by_path["/hooks/a"].webhook_id == by_path["/hooks/b"].webhook_id
