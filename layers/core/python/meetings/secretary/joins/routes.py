"""/v1/join/{token}: the public side of a magic link (no backoffice token)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from meetings.api.database import DbSession
from meetings.api.openapi import declare_errors
from meetings.api.params import IdPath, TokenPath
from meetings.db_scope import set_db_scope
from meetings.errors import DomainError
from meetings.livekit import LiveKit
from meetings.secretary.joins import service, waiting
from meetings.secretary.joins.schemas import (
    AdmissionOut,
    ConsentOut,
    JoinGrant,
    JoinLinkInfo,
    JoinRequest,
    JoinWaiting,
    WaitingList,
)
from meetings.secretary.rooms.schemas import RoomOut

meeting_bearer = HTTPBearer(auto_error=False, description="access_token from POST /v1/join/{token}")
declare_errors(
    meeting_bearer,
    {
        401: "`not_authenticated` or `invalid_token`",
        403: "`not_organizer` (organizer actions) or `not_this_participant` (someone else's token)",
    },
)

ERRORS = {
    404: {"description": "`link_not_found`"},
    409: {"description": "`room_canceled`, `room_completed`, `too_early` or `room_full`"},
    410: {"description": "`link_expired`: ask the organizer for a new link"},
}


router = APIRouter(prefix="/v1/join", tags=["join"], responses=ERRORS)


@router.get("/{token}", response_model=JoinLinkInfo)
def describe_link(token: TokenPath, db: DbSession, language: Literal["en", "pt"] = "en") -> JoinLinkInfo:
    set_db_scope(db, "join")
    return service.describe_link(db=db, token=token, language=language)


DECISION_ERRORS = {
    404: {"description": "`link_not_found` or `participant_not_found`"},
    409: {"description": "`not_waiting`, `room_closed`, or (admit) `room_full`"},
}


@router.post(
    "/{token}",
    response_model=JoinGrant,
    responses={
        202: {
            "model": JoinWaiting,
            "description": "In the waiting room: repeat the same request to learn the decision",
        },
        401: {"description": "`invalid_password`"},
        403: {"description": "`participant_denied`: the organizer turned this participant away"},
        423: {"description": "`link_locked`: too many wrong passwords; see Retry-After"},
    },
)
def join(
    token: TokenPath, data: JoinRequest, request: Request, db: DbSession, livekit: LiveKit
) -> JoinGrant | JSONResponse:
    set_db_scope(db, "join")
    try:
        grant = service.join_with_password(
            db=db,
            token=token,
            password=data.password,
            livekit=livekit,
            consent=data.consent,
            language=data.language,
            client_address=client_address(request),
        )
    except DomainError:
        # The one deliberate commit before an error answer: the failed attempt, the lock or the
        # CAPACITY_REACHED event must outlive the rollback the request boundary does on any error.
        db.commit()
        raise
    if isinstance(grant, JoinWaiting):
        return JSONResponse(status_code=status.HTTP_202_ACCEPTED, content=grant.model_dump(mode="json"))
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


def client_address(request: Request) -> str | None:
    return request.client.host if request.client is not None else None


def _access_token(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    return credentials.credentials if credentials is not None else None


MeetingCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(meeting_bearer)]


@router.get(
    "/{token}/waiting",
    response_model=WaitingList,
    summary="Who is knocking (the organizer, from inside the meeting)",
    responses={404: {"description": "`link_not_found`"}},
)
def list_waiting(
    token: TokenPath, db: DbSession, livekit: LiveKit, credentials: MeetingCredentials
) -> WaitingList:
    set_db_scope(db, "join")
    room = service.organizer_room(
        db=db, token=token, access_token=_access_token(credentials), livekit=livekit
    )
    return WaitingList(data=waiting.list_waiting(db=db, room=room))


@router.post(
    "/{token}/participants/{participant_id}/admit",
    response_model=AdmissionOut,
    summary="Let a waiting participant in (the organizer, from inside the meeting)",
    responses=DECISION_ERRORS,
)
def admit(
    token: TokenPath, participant_id: IdPath, db: DbSession, livekit: LiveKit, credentials: MeetingCredentials
) -> AdmissionOut:
    set_db_scope(db, "join")
    room = service.organizer_room(
        db=db, token=token, access_token=_access_token(credentials), livekit=livekit
    )
    return admission_out(waiting.admit(db=db, room=room, participant_id=participant_id))


@router.post(
    "/{token}/participants/{participant_id}/deny",
    response_model=AdmissionOut,
    summary="Turn a waiting participant away (the organizer, from inside the meeting)",
    responses=DECISION_ERRORS,
)
def deny(
    token: TokenPath, participant_id: IdPath, db: DbSession, livekit: LiveKit, credentials: MeetingCredentials
) -> AdmissionOut:
    set_db_scope(db, "join")
    room = service.organizer_room(
        db=db, token=token, access_token=_access_token(credentials), livekit=livekit
    )
    return admission_out(waiting.deny(db=db, room=room, participant_id=participant_id))


def admission_out(room_participant) -> AdmissionOut:
    return AdmissionOut(
        participant_id=room_participant.participant_id,
        admission=room_participant.admission,
        decided_at=room_participant.admission_at,
    )


@router.post(
    "/{token}/consent/assistant/withdraw",
    response_model=ConsentOut,
    summary="Withdraw consent to the AI assistant (the participant, from inside the meeting)",
    responses={
        401: {"description": "No or an invalid meeting access token"},
        403: {"description": "The token is not this link's"},
        404: {"description": "No such link"},
        502: {"description": "LiveKit did not take the change"},
    },
)
def withdraw_assistant_consent(
    token: TokenPath, request: Request, db: DbSession, livekit: LiveKit, credentials: MeetingCredentials
) -> ConsentOut:
    set_db_scope(db, "join")
    record = service.withdraw_assistant_consent(
        db=db,
        token=token,
        access_token=_access_token(credentials),
        livekit=livekit,
        client_address=client_address(request),
    )
    return ConsentOut(
        participant_id=record.participant_id,
        recording=record.recording,
        assistant=record.assistant,
        decided_at=record.created_at,
    )
