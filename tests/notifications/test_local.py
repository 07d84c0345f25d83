"""`make run`'s webhook dispatcher: the same pass on a background thread, against committed rows."""

from devserver.webhook_dispatch import start_local_webhook_dispatcher
from meetings.notifications.catalogue import EventType
from meetings.notifications.outbox import emit
from tests.notifications.conftest import make_endpoint


def test_the_background_dispatcher_delivers_until_stopped(committed, receiver, allow_loopback):
    entity = committed.entity()
    endpoint = make_endpoint(committed.session, entity, receiver.url)
    committed.session.commit()
    stop = start_local_webhook_dispatcher(every=0.05)
    try:
        for room in ("a", "b"):
            emit(
                db=committed.session, entity_id=entity.id, type=EventType.ROOM_STARTED, data={"room_id": room}
            )
            committed.session.commit()
        requests = receiver.wait_for(2)
    finally:
        stop.set()
    assert sorted(request.verify(endpoint.secret)["data"]["room_id"] for request in requests) == ["a", "b"]


def test_the_local_server_documents_the_catalogue():
    from devserver.server import app

    assert sorted(app.openapi()["webhooks"]) == sorted(event.value for event in EventType)
