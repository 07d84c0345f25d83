"""Rooms: scheduling, the status machine, ending and deleting meetings."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import Select, exists, func, select, update
from sqlalchemy.orm import Session

from meetings.errors import Conflict, NotFound, ValidationFailed
from meetings.identity.principal import Principal
from meetings.livekit import LiveKitGateway
from meetings.manager.departments.models import Department
from meetings.manager.entities.models import Entity
from meetings.meeting_protocol import agent_dispatch_metadata
from meetings.notifications import outbox
from meetings.notifications.catalogue import EventType
from meetings.secretary.agent_usage.models import AgentUsage
from meetings.secretary.events.models import RoomEventName
from meetings.secretary.events.service import append_room_event
from meetings.secretary.notes.requests import request_draft_note
from meetings.secretary.recordings.models import Recording
from meetings.secretary.rooms.models import Room, RoomStatus
from meetings.secretary.rooms.schemas import RoomCreate, RoomUpdate
from meetings.settings import get_settings

INDEPENDENT_ROOM_MAX_PARTICIPANTS = 50  # the spec's default entity limit, for rooms with no entity
LIVEKIT_ROOM_PREFIX = "meeting-"
ALLOWED_TRANSITIONS = {
    RoomStatus.SCHEDULED: {RoomStatus.ACTIVE, RoomStatus.CANCELED},
    RoomStatus.ACTIVE: {RoomStatus.COMPLETED, RoomStatus.CANCELED},
    RoomStatus.COMPLETED: set(),
    RoomStatus.CANCELED: set(),
}
DELETABLE_STATUSES = {RoomStatus.COMPLETED, RoomStatus.CANCELED}


def now() -> datetime:
    return datetime.now(UTC)


def visible_rooms(principal: Principal) -> Select:
    """Rooms the caller may see: all for a MANAGER, their entity's for an ENTITY_ADMIN."""
    # transcripts.service.transcript_batches states this condition in its SQL: change both together.
    statement = select(Room)
    if not principal.is_manager:
        statement = statement.where(Room.entity_id == principal.entity_id)
    return statement


def get_room(*, db: Session, principal: Principal, room_id: str, for_update: bool = False) -> Room:
    """Returns a room the caller may see, or 404 as if it did not exist."""
    statement = visible_rooms(principal).where(Room.id == room_id)
    if for_update:
        statement = statement.with_for_update()
    room = db.execute(statement).scalar_one_or_none()
    if room is None:
        raise NotFound("Room not found.", code="room_not_found")
    return room


def list_rooms(
    *,
    principal: Principal,
    status: RoomStatus | None = None,
    entity_id: int | None = None,
    department_id: int | None = None,
    scheduled_from: datetime | None = None,
    scheduled_to: datetime | None = None,
) -> Select:
    """Builds the query of the caller's rooms with the given filters, soonest first."""
    statement = visible_rooms(principal)
    if status is not None:
        statement = statement.where(Room.status == status)
    if entity_id is not None:
        statement = statement.where(Room.entity_id == entity_id)
    if department_id is not None:
        statement = statement.where(Room.department_id == department_id)
    if scheduled_from is not None:
        statement = statement.where(Room.scheduled_at >= scheduled_from)
    if scheduled_to is not None:
        statement = statement.where(Room.scheduled_at < scheduled_to)
    return statement.order_by(Room.scheduled_at, Room.id)


def _entity_for(db: Session, principal: Principal, entity_id: int | None) -> Entity | None:
    if entity_id is None and not principal.is_manager:
        entity_id = principal.entity_id
    if entity_id is None:
        return None
    entity = db.get(Entity, entity_id)
    if entity is None or not entity.active or not principal.can_access_entity(entity.id):
        raise ValidationFailed("Entity not found.", code="invalid_entity", details={"field": "entity_id"})
    return entity


def _check_department(db: Session, entity: Entity | None, department_id: int | None) -> None:
    if department_id is None:
        return
    department = db.get(Department, department_id)
    if department is None or entity is None or department.entity_id != entity.id or not department.active:
        raise ValidationFailed(
            "The department does not exist in the room's entity.",
            code="invalid_department",
            details={"field": "department_id"},
        )


def _check_capacity(entity: Entity | None, max_participants: int) -> None:
    limit = entity.max_participants if entity is not None else None
    if limit is not None and max_participants > limit:
        raise ValidationFailed(
            f"max_participants cannot exceed the entity's limit of {limit}.",
            code="max_participants_above_entity_limit",
            details={"field": "max_participants", "limit": limit},
        )


def create_room(*, db: Session, principal: Principal, data: RoomCreate) -> Room:
    """Schedules a room organized by the caller, in their entity or (MANAGER only) independent."""
    entity = _entity_for(db, principal, data.entity_id)
    _check_department(db, entity, data.department_id)
    default_capacity = entity.max_participants if entity is not None else INDEPENDENT_ROOM_MAX_PARTICIPANTS
    max_participants = data.max_participants or default_capacity
    _check_capacity(entity, max_participants)
    room_id = str(uuid.uuid4())
    room = Room(
        id=room_id,
        livekit_room_id=f"{LIVEKIT_ROOM_PREFIX}{room_id}",
        title=data.title,
        description=data.description,
        entity_id=entity.id if entity is not None else None,
        department_id=data.department_id,
        custom_prompt=data.custom_prompt,
        organizer_id=principal.user_id,
        scheduled_at=data.scheduled_at,
        status=RoomStatus.SCHEDULED,
        max_participants=max_participants,
        waiting_room=data.waiting_room,
    )
    db.add(room)
    db.flush()
    append_room_event(
        db=db,
        room_id=room.id,
        event_name=RoomEventName.ROOM_CREATED,
        data={"organizer_id": principal.user_id, "scheduled_at": room.scheduled_at.isoformat()},
    )
    outbox.emit(
        db=db,
        entity_id=room.entity_id,
        type=EventType.ROOM_SCHEDULED,
        data={"room_id": room.id, "scheduled_at": room.scheduled_at.isoformat()},
    )
    db.flush()
    return room


def update_room(*, db: Session, principal: Principal, room_id: str, data: RoomUpdate) -> Room:
    """Changes a room that has not started yet."""
    room = get_room(db=db, principal=principal, room_id=room_id, for_update=True)
    if room.status != RoomStatus.SCHEDULED:
        raise Conflict(
            "Only a scheduled room can be changed.", code="room_not_editable", details={"status": room.status}
        )
    changes = data.model_dump(exclude_unset=True)
    entity = db.get(Entity, room.entity_id) if room.entity_id is not None else None
    if "department_id" in changes:
        _check_department(db, entity, changes["department_id"])
    if "max_participants" in changes:
        _check_capacity(entity, changes["max_participants"])
    for field, value in changes.items():
        setattr(room, field, value)
    db.flush()
    db.refresh(room)
    return room


def change_status(*, db: Session, room: Room, status: RoomStatus) -> None:
    """Moves a room along SCHEDULED -> ACTIVE -> COMPLETED, or to CANCELED; nothing else."""
    if status not in ALLOWED_TRANSITIONS[room.status]:
        raise Conflict(
            f"A {room.status} room cannot become {status}.",
            code="invalid_status_transition",
            details={"from": room.status, "to": status},
        )
    room.status = status


def activate_room(*, db: Session, room: Room, livekit: LiveKitGateway, at: datetime) -> None:
    """Opens the LiveKit room and dispatches the agent, then marks the room ACTIVE (first join)."""
    livekit.create_room(name=room.livekit_room_id, max_participants=room.max_participants + 1)
    livekit.dispatch_agent(
        room_name=room.livekit_room_id,
        agent_name=get_settings().agent_name,
        metadata=agent_dispatch_metadata(room.id),
    )
    mark_started(db=db, room=room, at=at)


def mark_started(*, db: Session, room: Room, at: datetime) -> None:
    """Records the start of a SCHEDULED room (no-op otherwise)."""
    if room.status != RoomStatus.SCHEDULED:
        return
    change_status(db=db, room=room, status=RoomStatus.ACTIVE)
    room.started_at = at
    append_room_event(
        db=db, room_id=room.id, event_name=RoomEventName.ROOM_STARTED, data={"started_at": at.isoformat()}
    )
    outbox.emit(
        db=db,
        entity_id=room.entity_id,
        type=EventType.ROOM_STARTED,
        data={"room_id": room.id, "started_at": at.isoformat()},
        occurred_at=at,
    )
    db.flush()


def mark_ended(
    *, db: Session, room: Room, at: datetime, reason: str, status: RoomStatus = RoomStatus.COMPLETED
) -> None:
    """Records the end of an ACTIVE room (COMPLETED) or the cancelation of a room."""
    change_status(db=db, room=room, status=status)
    was_running = room.started_at is not None
    room.ended_at = at if was_running else None
    if was_running:
        append_room_event(
            db=db,
            room_id=room.id,
            event_name=RoomEventName.ROOM_ENDED,
            data={"reason": reason, "ended_at": at.isoformat()},
        )
    canceled = status == RoomStatus.CANCELED
    outbox.emit(
        db=db,
        entity_id=room.entity_id,
        type=EventType.ROOM_CANCELED if canceled else EventType.ROOM_ENDED,
        data={"room_id": room.id, "canceled_at": at.isoformat()}
        if canceled
        else {"room_id": room.id, "ended_at": at.isoformat(), "reason": reason},
        occurred_at=at,
    )
    if was_running and not canceled:
        request_draft_note(db=db, room_id=room.id, entity_id=room.entity_id, department_id=room.department_id)
    db.flush()


def end_room(*, db: Session, room: Room, livekit: LiveKitGateway, reason: str) -> Room:
    """Ends a running meeting for everyone: COMPLETED, and the LiveKit room is deleted."""
    if room.status != RoomStatus.ACTIVE:
        raise Conflict(
            "Only an active room can be ended; cancel a scheduled one.",
            code="invalid_status_transition",
            details={"from": room.status, "to": RoomStatus.COMPLETED},
        )
    livekit.delete_room(name=room.livekit_room_id)  # first: if LiveKit fails, nothing changed
    mark_ended(db=db, room=room, at=now(), reason=reason)
    return room


def end_room_by_id(*, db: Session, principal: Principal, room_id: str, livekit: LiveKitGateway) -> Room:
    """Ends a room the caller may see (POST /v1/rooms/{id}/end)."""
    room = get_room(db=db, principal=principal, room_id=room_id, for_update=True)
    return end_room(db=db, room=room, livekit=livekit, reason="ended_by_organizer")


def cancel_room(*, db: Session, principal: Principal, room_id: str, livekit: LiveKitGateway) -> Room:
    """Cancels a scheduled or running room; a running one is disconnected in LiveKit."""
    room = get_room(db=db, principal=principal, room_id=room_id, for_update=True)
    if room.status == RoomStatus.ACTIVE:
        livekit.delete_room(name=room.livekit_room_id)  # first: if LiveKit fails, nothing changed
    mark_ended(db=db, room=room, at=now(), reason="canceled", status=RoomStatus.CANCELED)
    return room


def delete_room(*, db: Session, principal: Principal, room_id: str) -> None:
    """Deletes a finished room with no recordings and no agent usage (kept for billing)."""
    room = get_room(db=db, principal=principal, room_id=room_id, for_update=True)
    if room.status not in DELETABLE_STATUSES:
        raise Conflict(
            "Only a completed or canceled room can be deleted.",
            code="room_not_finished",
            details={"status": room.status},
        )
    if db.execute(select(exists().where(Recording.room_id == room.id))).scalar():
        raise Conflict("A room with recordings is kept for its retention period.", code="room_has_recordings")
    if db.execute(select(exists().where(AgentUsage.room_id == room.id))).scalar():
        raise Conflict("A room with agent usage is kept for billing.", code="room_has_agent_usage")
    # The service role may not delete rooms: this function deletes only a finished room, with its events.
    db.flush()
    db.execute(select(func.delete_finished_room(room.id))).scalar_one()
    db.expunge(room)


def cancel_scheduled_rooms_of_entity(*, db: Session, entity_id: int) -> int:
    """Cancels the rooms of a deleted entity that have not started; returns how many."""
    statement = (
        update(Room)
        .where(Room.entity_id == entity_id, Room.status == RoomStatus.SCHEDULED)
        .values(status=RoomStatus.CANCELED)
        .returning(Room.id)
    )
    canceled = db.execute(statement, execution_options={"synchronize_session": False}).scalars().all()
    at = now()
    for room_id in canceled:
        outbox.emit(
            db=db,
            entity_id=entity_id,
            type=EventType.ROOM_CANCELED,
            data={"room_id": room_id, "canceled_at": at.isoformat()},
            occurred_at=at,
        )
    return len(canceled)
