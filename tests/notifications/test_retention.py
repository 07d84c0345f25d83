"""The delivery log follows the entity's retention; nothing still due is removed."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from meetings.notifications.catalogue import EventType
from meetings.notifications.models import WebhookAttempt, WebhookDelivery, WebhookMessage
from meetings.notifications.outbox import emit
from meetings.notifications.retention import purge_delivery_log
from tests.factories import make_entity
from tests.notifications.conftest import make_endpoint
from tests.support.roles import as_harness


def age(db, message_type_room: str, days: int) -> None:
    with as_harness(db):  # no service rewrites a message: the harness ages it
        db.execute(
            update(WebhookMessage)
            .where(WebhookMessage.data["room_id"].astext == message_type_room)
            .values(created_at=datetime.now(UTC) - timedelta(days=days))
        )


def rooms_left(db) -> set[str]:
    db.expire_all()
    return set(db.execute(select(WebhookMessage.data["room_id"].astext)).scalars())


def test_messages_past_the_entitys_retention_go_with_their_deliveries_and_attempts(db):
    short = make_entity(db, recording_retention_days=30)
    long = make_entity(db, recording_retention_days=365)
    for entity, prefix in ((short, "s"), (long, "l")):
        make_endpoint(db, entity, "https://ehr.example.com/hooks")
        for room in ("old", "new", "due"):
            emit(db=db, entity_id=entity.id, type=EventType.ROOM_ENDED, data={"room_id": f"{prefix}-{room}"})
    delivered = db.execute(select(WebhookDelivery).where(WebhookDelivery.status == "PENDING")).scalars().all()
    db.add_all(
        WebhookAttempt(delivery_id=d.id, attempted_at=datetime.now(UTC), succeeded=True, duration_ms=3)
        for d in delivered
    )
    db.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.message_id.in_(
                select(WebhookMessage.id).where(~WebhookMessage.data["room_id"].astext.like("%-due"))
            )
        )
        .values(status="SUCCEEDED")
    )
    for prefix in ("s", "l"):
        age(db, f"{prefix}-old", 40)
        age(db, f"{prefix}-due", 40)

    assert purge_delivery_log(db=db, batch_size=1) == 1

    assert rooms_left(db) == {"s-new", "s-due", "l-old", "l-new", "l-due"}
    assert len(db.execute(select(WebhookDelivery)).scalars().all()) == 5
    assert len(db.execute(select(WebhookAttempt)).scalars().all()) == 5
