"""/v1/participants (directory) and /v1/rooms/{id}/participants (who may join, with magic links)."""

from fastapi import APIRouter, Response, status

from meetings.api.database import DbSession
from meetings.api.errors import register_constraint_error
from meetings.api.pagination import Page, Pagination, paginate
from meetings.api.params import IdPath, RoomIdPath, text_query
from meetings.errors import Conflict
from meetings.identity.dependency import CurrentPrincipal
from meetings.livekit import LiveKit
from meetings.secretary.participants import room_service, service
from meetings.secretary.participants.models import Participant, ParticipantType, RoomParticipant
from meetings.secretary.participants.schemas import (
    MagicLinkOut,
    ParticipantCreate,
    ParticipantOut,
    ParticipantUpdate,
    ProfessionalSummary,
    RoomParticipantAdd,
    RoomParticipantOut,
)

ERRORS = {
    403: {"description": "`add_through_room`: an entity admin adds clients and agents through a room"},
    404: {"description": "`participant_not_found`, `room_not_found` or `room_participant_not_found`"},
    409: {
        "description": "`participant_already_in_room`, `participant_in_room`, `participant_type_mismatch` "
        "or `room_closed`"
    },
}

router = APIRouter(tags=["participants"], responses=ERRORS)

register_constraint_error(
    "uq_participants_entity_external",
    Conflict("Another participant of this entity has this external_id.", code="external_id_taken"),
)


def participant_out(
    db, participant: Participant, loaded: service.ReferencedRows | None = None
) -> ParticipantOut:
    if loaded is not None:
        professional = loaded.professionals.get(participant.professional_id)
    else:
        professional = service.professional_of(db, participant)
    answer = ParticipantOut.model_validate(participant)
    answer.professional = ProfessionalSummary.model_validate(professional) if professional else None
    return answer


def room_participant_out(
    db, room_participant: RoomParticipant, loaded: service.ReferencedRows | None = None
) -> RoomParticipantOut:
    if loaded is not None:
        participant = loaded.participants[room_participant.participant_id]
    else:
        participant = db.get(Participant, room_participant.participant_id)
    fields = {
        name: getattr(room_participant, name)
        for name in RoomParticipantOut.model_fields
        if name != "participant"
    }
    return RoomParticipantOut(**fields, participant=participant_out(db, participant, loaded))


def magic_link_out(db, issued: room_service.IssuedLink) -> MagicLinkOut:
    base = room_participant_out(db, issued.room_participant)
    return MagicLinkOut(**base.model_dump(), magic_link_url=issued.magic_link_url, password=issued.password)


@router.post("/v1/participants", status_code=status.HTTP_201_CREATED, response_model=ParticipantOut)
def create_participant(data: ParticipantCreate, db: DbSession, principal: CurrentPrincipal) -> ParticipantOut:
    participant = service.create_participant(db=db, principal=principal, data=data)
    return participant_out(db, participant)


@router.get("/v1/participants", response_model=Page[ParticipantOut])
def list_participants(
    db: DbSession,
    principal: CurrentPrincipal,
    page: Pagination,
    type: ParticipantType | None = None,
    phone_number: text_query(20, None) = None,
    external_id: text_query(254, None) = None,
) -> Page[ParticipantOut]:
    statement = service.list_participants(
        principal=principal, type=type, phone_number=phone_number, external_id=external_id
    )
    result = paginate(db, statement, page)
    loaded = service.load_referenced_rows(db=db, participants=result.items)
    result.items = [participant_out(db, p, loaded) for p in result.items]
    return result


@router.get("/v1/participants/{participant_id}", response_model=ParticipantOut)
def get_participant(participant_id: IdPath, db: DbSession, principal: CurrentPrincipal) -> ParticipantOut:
    return participant_out(
        db, service.get_participant(db=db, principal=principal, participant_id=participant_id)
    )


@router.patch("/v1/participants/{participant_id}", response_model=ParticipantOut)
def update_participant(
    participant_id: IdPath, data: ParticipantUpdate, db: DbSession, principal: CurrentPrincipal
) -> ParticipantOut:
    participant = service.update_participant(
        db=db, principal=principal, participant_id=participant_id, data=data
    )
    return participant_out(db, participant)


@router.delete("/v1/participants/{participant_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_participant(participant_id: IdPath, db: DbSession, principal: CurrentPrincipal) -> Response:
    service.delete_participant(db=db, principal=principal, participant_id=participant_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/v1/rooms/{room_id}/participants", response_model=Page[RoomParticipantOut])
def list_room_participants(
    room_id: RoomIdPath, db: DbSession, principal: CurrentPrincipal, page: Pagination
) -> Page[RoomParticipantOut]:
    statement = room_service.list_room_participants(db=db, principal=principal, room_id=room_id)
    result = paginate(db, statement, page)
    loaded = service.load_referenced_rows(db=db, room_participants=result.items)
    result.items = [room_participant_out(db, row, loaded) for row in result.items]
    return result


@router.post(
    "/v1/rooms/{room_id}/participants", status_code=status.HTTP_201_CREATED, response_model=MagicLinkOut
)
def add_room_participant(
    room_id: RoomIdPath, data: RoomParticipantAdd, db: DbSession, principal: CurrentPrincipal
) -> MagicLinkOut:
    issued = room_service.add_room_participant(db=db, principal=principal, room_id=room_id, data=data)
    return magic_link_out(db, issued)


@router.post("/v1/rooms/{room_id}/participants/{participant_id}/reissue", response_model=MagicLinkOut)
def reissue_magic_link(
    room_id: RoomIdPath, participant_id: IdPath, db: DbSession, principal: CurrentPrincipal
) -> MagicLinkOut:
    issued = room_service.reissue_magic_link(
        db=db, principal=principal, room_id=room_id, participant_id=participant_id
    )
    return magic_link_out(db, issued)


@router.delete("/v1/rooms/{room_id}/participants/{participant_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_room_participant(
    room_id: RoomIdPath, participant_id: IdPath, db: DbSession, principal: CurrentPrincipal, livekit: LiveKit
) -> Response:
    room_service.remove_room_participant(
        db=db, principal=principal, room_id=room_id, participant_id=participant_id, livekit=livekit
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
