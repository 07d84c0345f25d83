"""/v1/rooms/{id}/events and /v1/rooms/{id}/agent-events: a room's logs in time order."""

from fastapi import APIRouter

from meetings.api.database import DbSession
from meetings.api.pagination import Page, Pagination, paginate
from meetings.api.params import RoomIdPath
from meetings.identity.dependency import CurrentPrincipal
from meetings.secretary.events.schemas import AgentEventOut, RoomEventOut
from meetings.secretary.events.service import agent_events_query, room_events_query
from meetings.secretary.rooms.service import get_room

router = APIRouter(prefix="/v1/rooms", tags=["events"])


@router.get("/{room_id}/events", response_model=Page[RoomEventOut])
def list_room_events(
    room_id: RoomIdPath, db: DbSession, principal: CurrentPrincipal, page: Pagination
) -> Page[RoomEventOut]:
    room = get_room(db=db, principal=principal, room_id=room_id)
    return paginate(db, room_events_query(room_id=room.id), page, schema=RoomEventOut)


@router.get("/{room_id}/agent-events", response_model=Page[AgentEventOut])
def list_agent_events(
    room_id: RoomIdPath, db: DbSession, principal: CurrentPrincipal, page: Pagination
) -> Page[AgentEventOut]:
    room = get_room(db=db, principal=principal, room_id=room_id)
    return paginate(db, agent_events_query(room_id=room.id), page, schema=AgentEventOut)
