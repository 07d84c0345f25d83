"""The waiting room's organizer side: who is knocking, and letting each one in or turning them away.

Admitting takes the seat right away, under the room row lock every join takes, exactly as a join does (held
for the access token's lifetime until LiveKit confirms the connection), so admitting several people at once
never seats more than `max_participants`; the admitted person's next poll of the join gets the token.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from meetings.errors import Conflict, NotFound
from meetings.secretary.events.models import RoomEventName
from meetings.secretary.events.service import append_room_event
from meetings.secretary.joins.schemas import WaitingParticipant
from meetings.secretary.joins.service import now, take_seat
from meetings.secretary.participants.models import Admission, Participant, RoomParticipant
from meetings.secretary.rooms.models import Room, RoomStatus


def list_waiting(*, db: Session, room: Room) -> list[WaitingParticipant]:
    """Who is waiting to be let into the room, longest waiting first."""
    rows = db.execute(
        select(RoomParticipant, Participant)
        .join(Participant, Participant.id == RoomParticipant.participant_id)
        .where(RoomParticipant.room_id == room.id, RoomParticipant.admission == Admission.WAITING)
        .order_by(RoomParticipant.admission_at, RoomParticipant.id)
    ).all()
    return [
        WaitingParticipant(
            participant_id=participant.id,
            name=participant.name,
            type=participant.type,
            waiting_since=room_participant.admission_at,
        )
        for room_participant, participant in rows
    ]


def _waiting_link(db: Session, room: Room, participant_id: int) -> RoomParticipant:
    room_participant = db.execute(
        select(RoomParticipant)
        .where(RoomParticipant.room_id == room.id, RoomParticipant.participant_id == participant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if room_participant is None:
        raise NotFound("This participant is not in the room.", code="participant_not_found")
    if room_participant.admission != Admission.WAITING:
        raise Conflict(
            "This participant is not waiting.",
            code="not_waiting",
            details={"admission": room_participant.admission},
        )
    return room_participant


def _check_open(room: Room) -> None:
    if room.status in (RoomStatus.CANCELED, RoomStatus.COMPLETED):
        raise Conflict("This meeting is over.", code="room_closed", details={"status": room.status})


def _decide(db: Session, room_participant: RoomParticipant, admission: Admission, at: datetime) -> None:
    room_participant.admission = admission
    room_participant.admission_at = at
    name = (
        RoomEventName.PARTICIPANT_ADMITTED
        if admission == Admission.ADMITTED
        else RoomEventName.PARTICIPANT_DENIED
    )
    append_room_event(
        db=db,
        room_id=room_participant.room_id,
        event_name=name,
        data={"participant_id": room_participant.participant_id},
    )
    db.flush()


def admit(*, db: Session, room: Room, participant_id: int) -> RoomParticipant:
    """Lets a waiting participant in, taking their seat now (409 room_full when none is left).

    `room` must be locked (FOR UPDATE) by the caller: the lock is what keeps concurrent admissions honest.
    """
    _check_open(room)
    room_participant = _waiting_link(db, room, participant_id)
    at = now()
    take_seat(db, room, room_participant, at)
    room_participant.joined_at = at
    room_participant.left_at = None
    _decide(db, room_participant, Admission.ADMITTED, at)
    return room_participant


def deny(*, db: Session, room: Room, participant_id: int) -> RoomParticipant:
    """Turns a waiting participant away; their link answers 403 participant_denied from then on."""
    _check_open(room)
    room_participant = _waiting_link(db, room, participant_id)
    _decide(db, room_participant, Admission.DENIED, now())
    return room_participant
