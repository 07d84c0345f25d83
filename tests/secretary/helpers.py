"""Builders for secretary rows; tests change only what they are about."""

import uuid

from sqlalchemy.orm import Session

from meetings.identity.passwords import hash_token
from meetings.secretary.participants.models import Participant, RoomParticipant
from meetings.secretary.rooms.models import Room
from tests.factories import later, make_participant, password_hash

JOIN_PASSWORD = "24681357"


def add_to_room(db: Session, room: Room, participant: Participant | None = None, **fields) -> RoomParticipant:
    """Puts a participant in a room with a link whose password is JOIN_PASSWORD; `.token` is the link's
    token (the row keeps only its hash)."""
    participant = participant or make_participant(db, entity_id=room.entity_id)
    token = fields.pop("token", str(uuid.uuid4()))
    room_participant = RoomParticipant(
        **{
            "room_id": room.id,
            "participant_id": participant.id,
            "magic_link_token_hash": hash_token(token),
            "password_hash": password_hash(JOIN_PASSWORD),
            "magic_link_expires_at": later(hours=24),
            **fields,
        }
    )
    db.add(room_participant)
    db.flush()
    room_participant.token = token
    return room_participant
