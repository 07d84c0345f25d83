"""/v1/rooms/{room_id}/waiting and the admit/deny decisions, from the backoffice."""

from fastapi import APIRouter

from meetings.api.database import DbSession
from meetings.identity.dependency import CurrentPrincipal
from meetings.secretary.joins import waiting
from meetings.secretary.joins.routes import admission_out
from meetings.secretary.joins.schemas import AdmissionOut, WaitingList
from meetings.secretary.rooms.service import get_room

router = APIRouter(tags=["waiting room"])

NOT_FOUND = {404: {"description": "No such room or participant in it, or the room belongs to another entity"}}
DECISION_ERRORS = {
    **NOT_FOUND,
    409: {"description": "The participant is not waiting, the meeting is over, or (admit) it is full"},
}


@router.get("/v1/rooms/{room_id}/waiting", summary="Who is waiting to be let in", responses=NOT_FOUND)
def list_waiting(room_id: str, db: DbSession, principal: CurrentPrincipal) -> WaitingList:
    room = get_room(db=db, principal=principal, room_id=room_id)
    return WaitingList(data=waiting.list_waiting(db=db, room=room))


@router.post(
    "/v1/rooms/{room_id}/participants/{participant_id}/admit",
    summary="Let a waiting participant in",
    responses=DECISION_ERRORS,
)
def admit(room_id: str, participant_id: int, db: DbSession, principal: CurrentPrincipal) -> AdmissionOut:
    room = get_room(db=db, principal=principal, room_id=room_id, for_update=True)
    return admission_out(waiting.admit(db=db, room=room, participant_id=participant_id))


@router.post(
    "/v1/rooms/{room_id}/participants/{participant_id}/deny",
    summary="Turn a waiting participant away",
    responses=DECISION_ERRORS,
)
def deny(room_id: str, participant_id: int, db: DbSession, principal: CurrentPrincipal) -> AdmissionOut:
    room = get_room(db=db, principal=principal, room_id=room_id, for_update=True)
    return admission_out(waiting.deny(db=db, room=room, participant_id=participant_id))
