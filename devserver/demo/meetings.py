"""Demo data of the meetings side: a room in Demo Clinic about to start, with a client and the clinic's
professional (the organizer), and one join link to try the flow at once."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from meetings.manager.professionals.models import Professional
from meetings.manager.users.models import User
from meetings.secretary.participants.models import Participant, ParticipantType, RoomParticipant
from meetings.secretary.participants.room_service import issue_magic_link
from meetings.secretary.rooms.models import Room
from meetings.secretary.rooms.service import LIVEKIT_ROOM_PREFIX

DEMO_ROOM_TITLE = "Demo consultation"
DEMO_ORGANIZER_EMAIL = "admin@demo.example.com"


def seed(db: Session, context: dict) -> list[str]:
    """Creates the demo room once; returns the organizer's join link and password (only when created)."""
    entity_id = context.get("entity_id")
    if entity_id is None:
        return []
    existing = (
        db.execute(select(Room).where(Room.entity_id == entity_id, Room.title == DEMO_ROOM_TITLE))
        .scalars()
        .first()
    )
    if existing is not None:
        return []
    organizer = db.execute(select(User).where(User.email == DEMO_ORGANIZER_EMAIL)).scalar_one_or_none()
    room_id = str(uuid.uuid4())
    room = Room(
        id=room_id,
        livekit_room_id=f"{LIVEKIT_ROOM_PREFIX}{room_id}",
        title=DEMO_ROOM_TITLE,
        description="Follow-up of the exam results",
        entity_id=entity_id,
        department_id=context.get("department_id"),
        custom_prompt="Summarize the exam results the doctor mentions.",
        organizer_id=organizer.id if organizer else None,
        scheduled_at=datetime.now(UTC) + timedelta(minutes=10),  # inside the join window already
        max_participants=4,
    )
    db.add(room)
    db.flush()
    professional = db.get(Professional, context["professional_id"])
    doctor = Participant(
        name=professional.name,
        type=ParticipantType.PROFESSIONAL,
        phone_number=professional.phone_number,
        email=professional.email,
        professional_id=professional.id,
        entity_id=entity_id,
    )
    patient = Participant(
        name="Maria Silva", type=ParticipantType.CLIENT, phone_number="+5511977776666", entity_id=entity_id
    )
    db.add_all([doctor, patient])
    db.flush()
    doctor_link = issue_magic_link(
        RoomParticipant(room_id=room.id, participant_id=doctor.id, is_organizer=True)
    )
    patient_link = issue_magic_link(RoomParticipant(room_id=room.id, participant_id=patient.id))
    db.add_all([doctor_link.room_participant, patient_link.room_participant])
    db.flush()
    return [
        f"Demo meeting: '{DEMO_ROOM_TITLE}' (room {room.id}) with {professional.name} and Maria Silva",
        f"Join as {professional.name} (organizer): {doctor_link.magic_link_url}  password {doctor_link.password}",
    ]
