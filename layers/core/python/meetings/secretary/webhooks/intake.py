"""The intake's two statements, each built once, on first use. One records an event's receipt and
reads what the rules need; the other writes what a participant's join or leave changes. With the
transaction's BEGIN and COMMIT, a participant event costs four round trips, where the unit of work of
mapped objects took eight (bench_webhooks.py). Rarer paths (room status, recordings, LiveKit calls)
load the mapped room.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from livekit.protocol.webhook import WebhookEvent
from sqlalchemy import (
    Boolean,
    DateTime,
    Integer,
    Row,
    Select,
    bindparam,
    exists,
    func,
    insert,
    null,
    select,
    true,
)
from sqlalchemy import update as update_rows
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as insert_or_skip
from sqlalchemy.orm import Session

from meetings.notifications import outbox
from meetings.notifications.catalogue import EventType
from meetings.secretary.events.models import RoomEvent, RoomEventName
from meetings.secretary.participants.models import RoomParticipant
from meetings.secretary.participants.seats import holding_a_seat
from meetings.secretary.recordings.models import running_in_room
from meetings.secretary.rooms.models import Room
from meetings.secretary.webhooks.models import WebhookReceipt

_RECEIPT = (
    insert_or_skip(WebhookReceipt)
    .values(
        event_id=bindparam("event_id"),
        event_name=bindparam("event_name"),
        room_name=bindparam("room_name"),
        event_created_at=bindparam("event_created_at"),
    )
    .on_conflict_do_nothing(index_elements=[WebhookReceipt.event_id])
    .returning(WebhookReceipt.event_id)
)


def _receipt_parameters(event: WebhookEvent, at: datetime) -> dict:
    return {
        "event_id": event.id,
        "event_name": event.event,
        "room_name": event.room.name or None,
        "event_created_at": at,
    }


def record_receipt(db: Session, event: WebhookEvent, at: datetime) -> bool:
    """Stores the event's id alone; False when it was already processed."""
    return db.execute(_RECEIPT, _receipt_parameters(event, at)).first() is not None


@cache  # built on first use: the cold start does not pay for it
def _intake_statement() -> Select:
    receipt = _RECEIPT.cte("receipt")
    fresh = exists(receipt.select())
    room = (
        select(Room.id, Room.entity_id, Room.status, Room.ended_at)
        .where(Room.livekit_room_id == bindparam("room_name"), fresh)
        .with_for_update()
        .cte("room")
    )
    seat = (
        select(RoomParticipant.id, RoomParticipant.joined_at, RoomParticipant.left_at)
        .where(
            RoomParticipant.room_id == select(room.c.id).scalar_subquery(),
            # NULL for an identity that is not a platform participant's: no seat.
            RoomParticipant.participant_id == bindparam("participant_id", type_=Integer),
        )
        .with_for_update()
        .cte("seat")
    )
    one_row = select(true().label("one")).subquery("one")  # the answer's row, whether a room is found or not
    return (
        select(
            fresh.label("fresh"),
            room.c.id.label("room_id"),
            room.c.entity_id,
            room.c.status,
            room.c.ended_at,
            exists().where(*running_in_room(room.c.id)).label("recording"),
            seat.c.id.label("seat_id"),
            seat.c.joined_at,
            seat.c.left_at,
        )
        .select_from(one_row)
        .outerjoin(room, true())
        .outerjoin(seat, true())
    )


def read_intake(db: Session, event: WebhookEvent, at: datetime, participant_id: int | None) -> Row:
    """Records the event's receipt and, when it is new, locks its room and then the participant's seat
    in it (the order every writer of a room takes), in one statement. The row: `fresh` (False for a
    redelivery, which locks nothing), then, when the room is known, `room_id`, `entity_id`, `status`,
    `ended_at`, `recording` (one is running), and, when the identity holds a seat, `seat_id`,
    `joined_at`, `left_at`."""
    return db.execute(
        _intake_statement(), {**_receipt_parameters(event, at), "participant_id": participant_id}
    ).one()


@dataclass(frozen=True)
class Attendance:
    """What one join or leave writes: always its room event; when `applied`, the seat's new times
    (`seat_times`: joined_at and/or left_at), its connection and the outbox event."""

    event_name: RoomEventName
    data: dict
    applied: bool
    seat_times: dict[str, datetime | None]
    connected: bool
    outbox_type: EventType
    outbox_data: dict
    occurred_at: datetime


@cache
def _attendance_statement(seat_times: tuple[str, ...], emits: bool, counts: bool) -> Select:
    """The write of one attendance, built once per shape: the room event; the seat's `seat_times` and
    connection unless empty; the outbox event when `emits`; and, when `counts`, the count of the room's
    other taken seats as the answer. Its parameters are named `attendance_*`: a Core UPDATE or INSERT
    would take a parameter named as one of its columns for a value to write."""
    room_id, seat_id = bindparam("attendance_room_id"), bindparam("attendance_seat_id", type_=Integer)
    writes = [
        insert(RoomEvent.__table__)
        .values(
            room_id=room_id,
            event_name=bindparam("attendance_event"),
            data=bindparam("attendance_data", type_=JSONB),
        )
        .cte("room_event")
    ]
    if seat_times:
        connection = func.jsonb_build_object("connected", bindparam("attendance_connected", type_=Boolean))
        times = {name: bindparam(f"attendance_{name}", type_=DateTime(timezone=True)) for name in seat_times}
        writes.append(
            update_rows(RoomParticipant.__table__)
            .where(RoomParticipant.id == seat_id)
            .values(**times, context=RoomParticipant.context.op("||")(connection))
            .cte("seat_change")
        )
    if emits:
        writes.append(outbox.emit_statement().cte("outbox_deliveries"))
    if not counts:
        return select(null()).add_cte(*writes)
    taken_at = bindparam("attendance_seats_taken_at", type_=DateTime(timezone=True))
    return (
        select(func.count())
        .where(*holding_a_seat(room_id, taken_at), RoomParticipant.id != seat_id)
        .add_cte(*writes)
    )


def write_attendance(
    db: Session, intake: Row, attendance: Attendance, *, seats_taken_at: datetime | None
) -> int:
    """Writes the attendance in one statement; returns how many other seats of the room are taken at
    `seats_taken_at` (0 when not asked)."""
    seat_times = attendance.seat_times if attendance.applied else {}
    emits = attendance.applied and intake.entity_id is not None
    statement = _attendance_statement(tuple(sorted(seat_times)), emits, seats_taken_at is not None)
    parameters = {
        "attendance_room_id": intake.room_id,
        "attendance_event": attendance.event_name.value,
        "attendance_data": attendance.data,
        "attendance_seat_id": intake.seat_id,
        "attendance_connected": attendance.connected,
        "attendance_seats_taken_at": seats_taken_at,
        **{f"attendance_{name}": value for name, value in seat_times.items()},
    }
    if emits:
        parameters |= outbox.emit_parameters(
            entity_id=intake.entity_id,
            type=attendance.outbox_type,
            data=attendance.outbox_data,
            occurred_at=attendance.occurred_at,
        )
    return db.execute(statement, parameters).scalar() or 0
