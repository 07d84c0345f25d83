"""The outbox: an event becomes a message and its deliveries in the caller's transaction, or nothing."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from meetings.notifications.catalogue import EventType

# One round trip: the message is written only if an enabled endpoint of the entity wants its type, with
# one PENDING delivery per such endpoint.
_EMIT = text(
    """
    WITH targets AS (
        SELECT id FROM webhook_endpoints
        WHERE entity_id = :entity_id AND enabled AND :type = ANY(event_types)
    ), message AS (
        INSERT INTO webhook_messages (id, entity_id, type, data, occurred_at)
        SELECT :id, :entity_id, :type, :data, :occurred_at WHERE EXISTS (SELECT 1 FROM targets)
        RETURNING id
    )
    INSERT INTO webhook_deliveries (message_id, endpoint_id, next_attempt_at)
    SELECT message.id, targets.id, now() FROM message, targets
    """
).bindparams(bindparam("data", type_=JSONB))


def emit(
    *, db: Session, entity_id: int | None, type: EventType, data: dict, occurred_at: datetime | None = None
) -> None:
    """Queues an event for the entity's endpoints that want it (rooms with no entity have none)."""
    if entity_id is None:
        return
    db.execute(
        _EMIT,
        {
            "id": uuid.uuid4(),
            "entity_id": entity_id,
            "type": EventType(type).value,
            "data": {"entity_id": entity_id, **data},
            "occurred_at": occurred_at or datetime.now(UTC),
        },
    )


def emit_for_room(
    *, db: Session, room_id: str, type: EventType, data: dict, occurred_at: datetime | None = None
) -> None:
    """Queues an event about a room (or something in it) for the room's entity."""
    entity_id = db.execute(text("SELECT entity_id FROM rooms WHERE id = :id"), {"id": room_id}).scalar()
    emit(db=db, entity_id=entity_id, type=type, data={"room_id": room_id, **data}, occurred_at=occurred_at)


def subscribed_entities(*, db: Session, entity_ids: set[int], type: EventType) -> set[int]:
    """Which of these entities have an enabled endpoint that wants this type (to skip work in bulk jobs)."""
    if not entity_ids:
        return set()
    rows = db.execute(
        text(
            "SELECT DISTINCT entity_id FROM webhook_endpoints "
            "WHERE entity_id = ANY(:ids) AND enabled AND :type = ANY(event_types)"
        ),
        {"ids": sorted(entity_ids), "type": EventType(type).value},
    )
    return set(rows.scalars())
