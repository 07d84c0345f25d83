"""Demo data of the backoffice: a manager login, an organization with a department, its admin login
and a professional linked to the department."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from meetings.identity.passwords import hash_password
from meetings.identity.roles import UserRole
from meetings.manager.departments.models import Department
from meetings.manager.entities.models import Entity
from meetings.manager.professionals.models import Professional, ProfessionalEntity
from meetings.manager.users.models import User
from meetings.settings import get_settings

DEMO_MANAGER_EMAIL = "manager@demo.example.com"
DEMO_ENTITY_ADMIN_EMAIL = "admin@demo.example.com"


def seed(db: Session, context: dict) -> list[str]:
    """Creates the demo organization once; returns the login to print (only when just created)."""
    if db.execute(select(User).where(User.email == DEMO_MANAGER_EMAIL)).scalar_one_or_none():
        entity = db.execute(select(Entity).where(Entity.name == "Demo Clinic")).scalar_one()
        department = db.execute(select(Department).where(Department.entity_id == entity.id)).scalars().first()
        professional = db.execute(
            select(Professional).where(Professional.email == "ana.souza@demo.example.com")
        ).scalar_one()
        context.update(entity_id=entity.id, department_id=department.id, professional_id=professional.id)
        return []
    password = context["password_factory"]()
    db.add(
        User(
            email=DEMO_MANAGER_EMAIL,
            password=hash_password(password, rounds=get_settings().bcrypt_rounds),
            phone_number="+5511999990000",
            role=UserRole.MANAGER,
        )
    )
    entity = Entity(
        name="Demo Clinic",
        type="medical_clinic",
        default_instructions="You assist a medical clinic. Be concise and cite the clinic's documents.",
        max_participants=10,
        recording_retention_days=30,
    )
    db.add(entity)
    db.flush()
    department = Department(
        entity_id=entity.id, name="Cardiology", instructions="Focus on cardiology follow-ups."
    )
    professional = Professional(
        name="Dr. Ana Souza",
        email="ana.souza@demo.example.com",
        phone_number="+5511988887777",
        license_number="CRM-SP 123456",
    )
    admin_password = context["password_factory"]()
    admin = User(
        email=DEMO_ENTITY_ADMIN_EMAIL,
        password=hash_password(admin_password, rounds=get_settings().bcrypt_rounds),
        phone_number="+5511999990001",
        role=UserRole.ENTITY_ADMIN,
        entity_id=entity.id,
    )
    db.add_all([department, professional, admin])
    db.flush()
    db.add(
        ProfessionalEntity(professional_id=professional.id, entity_id=entity.id, department_id=department.id)
    )
    db.flush()
    context.update(entity_id=entity.id, department_id=department.id, professional_id=professional.id)
    return [
        f"Demo manager login: {DEMO_MANAGER_EMAIL} / {password}",
        f"Demo Clinic admin login: {DEMO_ENTITY_ADMIN_EMAIL} / {admin_password}",
        f"Demo organization: Demo Clinic (entity {entity.id}), department Cardiology ({department.id})",
    ]
