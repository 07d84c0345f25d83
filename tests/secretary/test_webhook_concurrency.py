"""The same webhook delivered twice at once, on separate connections: applied exactly once."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from sqlalchemy import create_engine, delete
from sqlalchemy.orm import Session

from devserver.livekit_webhooks import webhook_event
from meetings.secretary.events.models import RoomEvent
from meetings.secretary.rooms.models import Room
from meetings.secretary.webhooks.models import WebhookReceipt
from meetings.secretary.webhooks.service import handle_webhook
from tests.factories import make_room

DELIVERIES = 4


def test_simultaneous_redeliveries_are_applied_once(database_url, engine):
    own_engine = create_engine(database_url, pool_size=DELIVERIES, max_overflow=0)
    with Session(own_engine) as session:
        room = make_room(session)
        session.commit()
        room_id, name = room.id, room.livekit_room_id
    event = webhook_event("room_started", room_name=name)
    start = Barrier(DELIVERIES)

    def deliver(_: int) -> str:
        start.wait()
        with Session(own_engine) as session:
            outcome = handle_webhook(db=session, event=event, livekit=None)  # no call for this event
            session.commit()
            return outcome

    try:
        with ThreadPoolExecutor(max_workers=DELIVERIES) as pool:
            outcomes = sorted(pool.map(deliver, range(DELIVERIES)))
        assert outcomes == ["duplicate"] * (DELIVERIES - 1) + ["processed"]
        with Session(own_engine) as session:
            assert [e.event_name for e in session.query(RoomEvent).filter_by(room_id=room_id)] == [
                "ROOM_STARTED"
            ]
    finally:
        with Session(own_engine) as session:
            session.execute(delete(WebhookReceipt).where(WebhookReceipt.event_id == event.id))
            session.execute(delete(Room).where(Room.id == room_id))
            session.commit()
        own_engine.dispose()
