"""/v1/rooms: schedule, list, read, change, cancel, end and delete meetings (backoffice token)."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from meetings.api.database import DbSession
from meetings.api.errors import register_constraint_error
from meetings.api.pagination import Page, Pagination, paginate
from meetings.api.params import IdQuery, RoomIdPath, time_query
from meetings.errors import Conflict, ValidationFailed
from meetings.identity.dependency import CurrentPrincipal
from meetings.livekit import LiveKit
from meetings.secretary.rooms import service
from meetings.secretary.rooms.instructions import composed_instructions
from meetings.secretary.rooms.models import Room, RoomStatus
from meetings.secretary.rooms.schemas import RoomCreate, RoomDetail, RoomOut, RoomUpdate

ERRORS = {
    404: {"description": "`room_not_found` (also for another entity's rooms)"},
    409: {
        "description": "`room_not_editable`, `room_not_finished`, `room_has_recordings`, "
        "`room_has_agent_usage` or `invalid_status_transition`"
    },
}

router = APIRouter(prefix="/v1/rooms", tags=["rooms"], responses=ERRORS)

register_constraint_error(
    "chk_room_capacity",
    ValidationFailed(
        "max_participants cannot exceed the entity's limit.", code="max_participants_above_entity_limit"
    ),
)
register_constraint_error(
    "chk_room_status_transition",
    Conflict("The room cannot move to that status.", code="invalid_status_transition"),
)


def _detail(db, room: Room) -> RoomDetail:
    return RoomDetail.model_validate(
        {
            **RoomOut.model_validate(room).model_dump(),
            "composed_instructions": composed_instructions(db=db, room=room),
        }
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RoomDetail)
def create_room(data: RoomCreate, db: DbSession, principal: CurrentPrincipal) -> RoomDetail:
    room = service.create_room(db=db, principal=principal, data=data)
    return _detail(db, room)


@router.get("", response_model=Page[RoomOut])
def list_rooms(
    db: DbSession,
    principal: CurrentPrincipal,
    page: Pagination,
    status_filter: Annotated[RoomStatus | None, Query(alias="status")] = None,
    entity_id: IdQuery = None,
    department_id: IdQuery = None,
    scheduled_from: time_query("scheduled_at >= this") = None,
    scheduled_to: time_query("scheduled_at < this") = None,
) -> Page[RoomOut]:
    statement = service.list_rooms(
        principal=principal,
        status=status_filter,
        entity_id=entity_id,
        department_id=department_id,
        scheduled_from=scheduled_from,
        scheduled_to=scheduled_to,
    )
    return paginate(db, statement, page, schema=RoomOut)


@router.get("/{room_id}", response_model=RoomDetail)
def get_room(room_id: RoomIdPath, db: DbSession, principal: CurrentPrincipal) -> RoomDetail:
    return _detail(db, service.get_room(db=db, principal=principal, room_id=room_id))


@router.patch("/{room_id}", response_model=RoomDetail)
def update_room(
    room_id: RoomIdPath, data: RoomUpdate, db: DbSession, principal: CurrentPrincipal
) -> RoomDetail:
    room = service.update_room(db=db, principal=principal, room_id=room_id, data=data)
    return _detail(db, room)


@router.post("/{room_id}/cancel", response_model=RoomOut)
def cancel_room(room_id: RoomIdPath, db: DbSession, principal: CurrentPrincipal, livekit: LiveKit) -> RoomOut:
    room = service.cancel_room(db=db, principal=principal, room_id=room_id, livekit=livekit)
    return RoomOut.model_validate(room)


@router.post("/{room_id}/end", response_model=RoomOut)
def end_room(room_id: RoomIdPath, db: DbSession, principal: CurrentPrincipal, livekit: LiveKit) -> RoomOut:
    room = service.end_room_by_id(db=db, principal=principal, room_id=room_id, livekit=livekit)
    return RoomOut.model_validate(room)


@router.delete("/{room_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_room(room_id: RoomIdPath, db: DbSession, principal: CurrentPrincipal) -> Response:
    service.delete_room(db=db, principal=principal, room_id=room_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
