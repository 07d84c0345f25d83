"""The outbox: an event becomes a message and its deliveries in the caller's transaction, or nothing."""

import uuid
from datetime import UTC, datetime
from functools import cache

from sqlalchemy import (
    Boolean,
    DateTime,
    Insert,
    Integer,
    String,
    Uuid,
    any_,
    bindparam,
    column,
    exists,
    func,
    insert,
    select,
    table,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Session

from meetings.notifications.catalogue import EventType

# The columns the outbox writes, as light table constructs: the mapped models (meetings.notifications.
# models) would load at the cold start of every function that emits.
_endpoints = table(
    "webhook_endpoints",
    column("id", Integer),
    column("entity_id", Integer),
    column("enabled", Boolean),
    column("event_types", ARRAY(String)),
)
_messages = table(
    "webhook_messages",
    column("id", Uuid),
    column("entity_id", Integer),
    column("type", String),
    column("data", JSONB),
    column("occurred_at", DateTime(timezone=True)),
)
_deliveries = table(
    "webhook_deliveries",
    column("message_id", Uuid),
    column("endpoint_id", Integer),
    column("next_attempt_at", DateTime(timezone=True)),
)


@cache
def emit_statement() -> Insert:
    """The one statement that queues an event, built on first use: the message is written only if an
    enabled endpoint of the entity wants its type, with one PENDING delivery per such endpoint. Run it
    alone (`emit`) or as a CTE of a caller's statement, so that the event costs no round trip of its
    own. Its parameters are named `outbox_*` (`emit_parameters`)."""
    entity_id = bindparam("outbox_entity_id", type_=Integer)
    type = bindparam("outbox_type", type_=String)
    targets = (
        select(_endpoints.c.id)
        .where(
            _endpoints.c.entity_id == entity_id, _endpoints.c.enabled, type == any_(_endpoints.c.event_types)
        )
        .cte("outbox_targets")
    )
    message = (
        insert(_messages)
        .from_select(
            ["id", "entity_id", "type", "data", "occurred_at"],
            select(
                bindparam("outbox_id", type_=Uuid),
                entity_id,
                type,
                bindparam("outbox_data", type_=JSONB),
                bindparam("outbox_occurred_at", type_=DateTime(timezone=True)),
            ).where(exists(targets.select())),
        )
        .returning(_messages.c.id)
        .cte("outbox_message")
    )
    return insert(_deliveries).from_select(
        ["message_id", "endpoint_id", "next_attempt_at"],
        select(message.c.id, targets.c.id, func.now()).select_from(message).join(targets, true()),
    )


def emit_parameters(
    *, entity_id: int, type: EventType, data: dict, occurred_at: datetime | None = None
) -> dict:
    """emit_statement's parameters for one event of the entity."""
    return {
        "outbox_id": uuid.uuid4(),
        "outbox_entity_id": entity_id,
        "outbox_type": EventType(type).value,
        "outbox_data": {"entity_id": entity_id, **data},
        "outbox_occurred_at": occurred_at or datetime.now(UTC),
    }


def emit(
    *, db: Session, entity_id: int | None, type: EventType, data: dict, occurred_at: datetime | None = None
) -> None:
    """Queues an event for the entity's endpoints that want it (rooms with no entity have none)."""
    if entity_id is None:
        return
    db.execute(
        emit_statement(), emit_parameters(entity_id=entity_id, type=type, data=data, occurred_at=occurred_at)
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
