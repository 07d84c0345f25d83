"""Small builders of valid rows; a test changes only what it is about."""

import itertools
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from meetings.identity.passwords import hash_password
from meetings.identity.roles import UserRole
from meetings.manager.departments.models import Department
from meetings.manager.entities.models import Entity
from meetings.manager.professionals.models import Professional, ProfessionalEntity
from meetings.manager.users.models import User
from meetings.secretary.participants.models import Participant, ParticipantType
from meetings.secretary.rooms.models import Room, RoomStatus

_sequence = itertools.count(1)
TEST_PASSWORD = "correct horse battery staple"
_hash_cache: dict[str, str] = {}


def password_hash(plain: str = TEST_PASSWORD) -> str:
    """bcrypt at cost 10, computed once per password per run (tests stay fast)."""
    if plain not in _hash_cache:
        _hash_cache[plain] = hash_password(plain, rounds=10)
    return _hash_cache[plain]


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_sequence)}"


def phone() -> str:
    return f"+55119{next(_sequence):08d}"


def make_entity(db: Session, **fields) -> Entity:
    entity = Entity(**{"name": unique("Clinic"), "type": "medical_clinic", **fields})
    db.add(entity)
    db.flush()
    return entity


def make_department(db: Session, entity: Entity, **fields) -> Department:
    department = Department(**{"entity_id": entity.id, "name": unique("Department"), **fields})
    db.add(department)
    db.flush()
    return department


def make_user(
    db: Session, *, role: UserRole = UserRole.MANAGER, entity: Entity | None = None, **fields
) -> User:
    user = User(
        **{
            "email": f"{unique('user')}@example.com",
            "password": password_hash(),
            "phone_number": phone(),
            "role": role,
            "entity_id": entity.id if entity else None,
            **fields,
        }
    )
    db.add(user)
    db.flush()
    return user


def make_professional(db: Session, **fields) -> Professional:
    professional = Professional(**{"name": unique("Dr."), "phone_number": phone(), **fields})
    db.add(professional)
    db.flush()
    return professional


def link_professional(
    db: Session, professional: Professional, entity: Entity, department=None
) -> ProfessionalEntity:
    link = ProfessionalEntity(
        professional_id=professional.id,
        entity_id=entity.id,
        department_id=department.id if department else None,
    )
    db.add(link)
    db.flush()
    return link


def later(**delta) -> datetime:
    return datetime.now(UTC) + timedelta(**delta)


# The room status machine the database enforces, walked from SCHEDULED.
ROOM_STATUS_PATH = {
    RoomStatus.SCHEDULED: [],
    RoomStatus.ACTIVE: [RoomStatus.ACTIVE],
    RoomStatus.COMPLETED: [RoomStatus.ACTIVE, RoomStatus.COMPLETED],
    RoomStatus.CANCELED: [RoomStatus.CANCELED],
}


def make_room(
    db: Session, entity=None, department=None, *, organizer=None, status=RoomStatus.SCHEDULED, **fields
) -> Room:
    """A room five minutes ahead, then walked to `status` as the status machine allows."""
    room_id = str(uuid.uuid4())
    room = Room(
        **{
            "id": room_id,
            "livekit_room_id": f"meeting-{room_id}",
            "title": "Consultation",
            "entity_id": entity.id if entity is not None else None,
            "department_id": department.id if department is not None else None,
            "organizer_id": organizer.id if organizer is not None else None,
            "scheduled_at": later(minutes=5),
            "max_participants": 10,
            **fields,
        }
    )
    db.add(room)
    db.flush()
    for step in ROOM_STATUS_PATH[status]:
        room.status = step
        if step == RoomStatus.ACTIVE and room.started_at is None:
            room.started_at = datetime.now(UTC)
        db.flush()
    return room


def make_participant(db: Session, *, type=ParticipantType.CLIENT, **fields) -> Participant:
    participant = Participant(**{"name": unique("Client"), "type": type, "phone_number": phone(), **fields})
    db.add(participant)
    db.flush()
    return participant
