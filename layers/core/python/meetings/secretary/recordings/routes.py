"""Recordings API. Recordings are immutable: there is no endpoint to edit or delete one."""

import uuid

from fastapi import APIRouter, status

from meetings.api.database import DbSession
from meetings.api.pagination import Page, Pagination, paginate
from meetings.api.params import RoomIdPath
from meetings.identity.dependency import CurrentPrincipal
from meetings.secretary.recordings import service
from meetings.secretary.recordings.schemas import RecordingDetailResponse, RecordingResponse

router = APIRouter(tags=["recordings"])

NOT_FOUND = {404: {"description": "No such room or recording, or it belongs to another entity"}}


@router.post(
    "/v1/rooms/{room_id}/recordings",
    status_code=status.HTTP_201_CREATED,
    summary="Start recording an active meeting",
    responses={
        **NOT_FOUND,
        409: {"description": "The room is not ACTIVE, or is already being recorded"},
        502: {"description": "LiveKit did not accept the egress"},
    },
)
def start_recording(room_id: RoomIdPath, db: DbSession, principal: CurrentPrincipal) -> RecordingResponse:
    recording = service.start_recording(db=db, principal=principal, room_id=room_id)
    return RecordingResponse.model_validate(recording)


@router.post(
    "/v1/recordings/{recording_id}/stop",
    summary="Stop a running recording",
    responses={**NOT_FOUND, 409: {"description": "The recording is not running"}},
)
def stop_recording(recording_id: uuid.UUID, db: DbSession, principal: CurrentPrincipal) -> RecordingResponse:
    recording = service.stop_recording(db=db, principal=principal, recording_id=recording_id)
    return RecordingResponse.model_validate(recording)


@router.get(
    "/v1/rooms/{room_id}/recordings",
    summary="List a room's recordings (every attempt, purged ones included)",
    responses=NOT_FOUND,
)
def list_room_recordings(
    room_id: RoomIdPath, db: DbSession, principal: CurrentPrincipal, page: Pagination
) -> Page[RecordingResponse]:
    statement = service.room_recordings_query(db=db, principal=principal, room_id=room_id)
    return paginate(db, statement, page, schema=RecordingResponse)


@router.get(
    "/v1/recordings/{recording_id}",
    summary="Get a recording, with a download link valid for 5 minutes while it is READY",
    responses=NOT_FOUND,
)
def get_recording(
    recording_id: uuid.UUID, db: DbSession, principal: CurrentPrincipal
) -> RecordingDetailResponse:
    recording = service.get_recording(db=db, principal=principal, recording_id=recording_id)
    link = service.download_link(recording=recording)
    return RecordingDetailResponse(
        **RecordingResponse.model_validate(recording).model_dump(),
        download_url=link.url if link else None,
        download_url_expires_at=link.expires_at if link else None,
    )
