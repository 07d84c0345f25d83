"""Builders for secretary rows; tests change only what they are about."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from meetings.secretary.participants.models import Participant, ParticipantType, RoomParticipant
from meetings.secretary.rooms.models import Room, RoomStatus
from tests.factories import password_hash, phone, unique

JOIN_PASSWORD = "24681357"


def later(**delta) -> datetime:
    return datetime.now(UTC) + timedelta(**delta)


def make_room(db: Session, *, entity=None, organizer=None, status=RoomStatus.SCHEDULED, **fields) -> Room:
    room_id = str(uuid.uuid4())
    room = Room(
        **{
            "id": room_id,
            "livekit_room_id": f"meeting-{room_id}",
            "title": unique("Consultation"),
            "entity_id": entity.id if entity is not None else None,
            "organizer_id": organizer.id if organizer is not None else None,
            "scheduled_at": later(minutes=5),
            "max_participants": 10,
            **fields,
        }
    )
    db.add(room)
    db.flush()
    if status != RoomStatus.SCHEDULED:
        if status in (RoomStatus.ACTIVE, RoomStatus.COMPLETED):
            room.status = RoomStatus.ACTIVE
            room.started_at = datetime.now(UTC)
            db.flush()
        room.status = status
        db.flush()
    return room


def make_participant(db: Session, *, type=ParticipantType.CLIENT, **fields) -> Participant:
    participant = Participant(**{"name": unique("Client"), "type": type, "phone_number": phone(), **fields})
    db.add(participant)
    db.flush()
    return participant


def add_to_room(db: Session, room: Room, participant: Participant | None = None, **fields) -> RoomParticipant:
    """Puts a participant in a room with a link whose password is JOIN_PASSWORD."""
    participant = participant or make_participant(db)
    room_participant = RoomParticipant(
        **{
            "room_id": room.id,
            "participant_id": participant.id,
            "magic_link_token": str(uuid.uuid4()),
            "password_hash": password_hash(JOIN_PASSWORD),
            "magic_link_expires_at": later(hours=24),
            **fields,
        }
    )
    db.add(room_participant)
    db.flush()
    return room_participant
