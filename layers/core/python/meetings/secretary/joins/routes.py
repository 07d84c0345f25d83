"""/v1/join/{token}: the public side of a magic link (no backoffice token)."""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from meetings.api.database import DbSession
from meetings.api.openapi import declare_errors
from meetings.api.params import TokenPath
from meetings.db_scope import set_db_scope
from meetings.errors import DomainError
from meetings.livekit import LiveKit
from meetings.secretary.joins import service
from meetings.secretary.joins.schemas import JoinGrant, JoinLinkInfo, JoinRequest
from meetings.secretary.rooms.schemas import RoomOut

meeting_bearer = HTTPBearer(auto_error=False, description="access_token from POST /v1/join/{token}")
declare_errors(
    meeting_bearer,
    {401: "`not_authenticated` or `invalid_token`", 403: "`not_organizer`: only the organizer ends it"},
)

ERRORS = {
    404: {"description": "`link_not_found`"},
    409: {"description": "`room_canceled`, `room_completed`, `too_early` or `room_full`"},
    410: {"description": "`link_expired`: ask the organizer for a new link"},
}


router = APIRouter(prefix="/v1/join", tags=["join"], responses=ERRORS)


@router.get("/{token}", response_model=JoinLinkInfo)
def describe_link(token: TokenPath, db: DbSession) -> JoinLinkInfo:
    set_db_scope(db, "join")
    return service.describe_link(db=db, token=token)


@router.post(
    "/{token}",
    response_model=JoinGrant,
    responses={
        401: {"description": "`invalid_password`"},
        423: {"description": "`link_locked`: too many wrong passwords; see Retry-After"},
    },
)
def join(token: TokenPath, data: JoinRequest, db: DbSession, livekit: LiveKit) -> JoinGrant:
    set_db_scope(db, "join")
    try:
        grant = service.join_with_password(db=db, token=token, password=data.password, livekit=livekit)
    except DomainError:
        # The one deliberate commit before an error answer: the failed attempt, the lock or the
        # CAPACITY_REACHED event must outlive the rollback the request boundary does on any error.
        db.commit()
        raise
    return grant


@router.post("/{token}/end", response_model=RoomOut)
def end_meeting(
    token: TokenPath,
    db: DbSession,
    livekit: LiveKit,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(meeting_bearer)],
) -> RoomOut:
    set_db_scope(db, "join")
    access_token = credentials.credentials if credentials is not None else None
    room = service.end_room_from_meeting(db=db, token=token, access_token=access_token, livekit=livekit)
    return RoomOut.model_validate(room)
