"""Small builders of valid rows; a test changes only what it is about."""

import itertools

from sqlalchemy.orm import Session

from meetings.identity.passwords import hash_password
from meetings.identity.roles import UserRole
from meetings.manager.departments.models import Department
from meetings.manager.entities.models import Entity
from meetings.manager.professionals.models import Professional, ProfessionalEntity
from meetings.manager.users.models import User

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
