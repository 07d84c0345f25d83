"""A dispatcher process killed after sending but before acknowledging loses nothing: once its lease
expires the delivery goes again, with the same webhook-id, and is acknowledged then."""

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from meetings.db_scope import set_db_scope
from meetings.manager.entities.models import Entity
from meetings.notifications.catalogue import EventType
from meetings.notifications.dispatch import SEND_LEASE, dispatch_due
from meetings.notifications.models import WebhookAttempt, WebhookDelivery
from meetings.notifications.outbox import emit
from tests.factories import make_entity
from tests.notifications.conftest import make_endpoint
from tests.notifications.receiver import Answer

ROOT = Path(__file__).resolve().parents[2]
DISPATCHER = (
    "from meetings.db import session_factory\n"
    "from meetings.db_scope import set_db_scope\n"
    "from meetings.notifications.dispatch import dispatch_due\n"
    "with set_db_scope(session_factory()(), 'jobs') as db:\n"
    "    dispatch_due(db=db)\n"
)


def test_a_dispatcher_killed_between_send_and_acknowledgement_loses_nothing(
    engine, owner_engine, receiver, allow_loopback
):
    with set_db_scope(Session(engine, expire_on_commit=False), "manager") as session:
        entity = make_entity(session)
        endpoint = make_endpoint(session, entity, receiver.url)
        emit(db=session, entity_id=entity.id, type=EventType.ROOM_ENDED, data={"room_id": "r1"})
        session.commit()
    hold = threading.Event()
    receiver.answers = [Answer(204, hold=hold)]
    environment = {
        **os.environ,
        "WEBHOOKS_ALLOW_LOOPBACK": "true",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "layers/core/python"), str(ROOT)]),
    }
    process = subprocess.Popen([sys.executable, "-c", DISPATCHER], env=environment)
    try:
        [first] = receiver.wait_for(1, timeout=60)  # sent; the answer is held back
        process.kill()
        process.wait(10)
        hold.set()

        with set_db_scope(Session(engine), "jobs") as session:
            delivery = session.execute(
                select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
            ).scalar_one()
            assert (delivery.status, delivery.attempts) == ("PENDING", 0)
            assert delivery.lease_expires_at > datetime.now(UTC)  # still leased by the dead process
            assert dispatch_due(db=session).claimed == 0
            later = datetime.now(UTC) + SEND_LEASE + timedelta(seconds=1)
            assert dispatch_due(db=session, now=lambda: later).succeeded == 1

            _, second = receiver.wait_for(2)
            assert first.webhook_id == second.webhook_id
            assert first.verify(endpoint.secret) == second.verify(endpoint.secret)
            session.refresh(delivery)
            assert (delivery.status, delivery.attempts) == ("SUCCEEDED", 1)
            log = session.execute(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id))
            assert [attempt.succeeded for attempt in log.scalars()] == [True]
    finally:
        if process.poll() is None:
            process.kill()
        hold.set()
        with owner_engine.begin() as connection:
            connection.execute(delete(Entity).where(Entity.id == entity.id))


def test_dispatchers_running_at_once_never_take_the_same_delivery(
    engine, owner_engine, receiver, allow_loopback
):
    from concurrent.futures import ThreadPoolExecutor

    with set_db_scope(Session(engine, expire_on_commit=False), "manager") as session:
        entity = make_entity(session)
        make_endpoint(session, entity, receiver.url)
        for index in range(60):
            emit(db=session, entity_id=entity.id, type=EventType.ROOM_ENDED, data={"room_id": f"r{index}"})
        session.commit()

    def dispatcher(_: int) -> int:
        sent = 0
        with set_db_scope(Session(engine), "jobs") as session:
            while claimed := dispatch_due(db=session, limit=5, workers=2).claimed:
                sent += claimed
        return sent

    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            sent = list(pool.map(dispatcher, range(3)))
        assert sum(sent) == 60
        requests = receiver.wait_for(60)
        assert len(requests) == 60 and len({request.webhook_id for request in requests}) == 60
    finally:
        with owner_engine.begin() as connection:
            connection.execute(delete(Entity).where(Entity.id == entity.id))
