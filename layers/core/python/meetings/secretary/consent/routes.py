"""/v1/rooms/{room_id}/consents: who consented to what, for the organizer's entity."""

from fastapi import APIRouter

from meetings.api.database import DbSession
from meetings.identity.dependency import CurrentPrincipal
from meetings.secretary.consent.schemas import ConsentRecordOut, RoomConsents
from meetings.secretary.consent.service import consents_of_room
from meetings.secretary.rooms.service import get_room

router = APIRouter(tags=["consent"])


@router.get(
    "/v1/rooms/{room_id}/consents",
    summary="Every consent decision in the room, oldest first (the latest per participant is in force)",
    responses={404: {"description": "No such room, or it belongs to another entity"}},
)
def list_consents(room_id: str, db: DbSession, principal: CurrentPrincipal) -> RoomConsents:
    room = get_room(db=db, principal=principal, room_id=room_id)
    return RoomConsents(
        data=[
            ConsentRecordOut(
                id=record.id,
                participant_id=record.participant_id,
                participant_name=participant.name,
                action=record.action,
                recording=record.recording,
                assistant=record.assistant,
                consent_text_id=record.consent_text_id,
                consent_text_version=text.version if text is not None else None,
                consent_text_language=text.language if text is not None else None,
                client_address_hash=record.client_address_hash,
                decided_at=record.created_at,
            )
            for record, participant, text in consents_of_room(db=db, room_id=room.id)
        ]
    )
