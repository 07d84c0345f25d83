"""Departments of an organization, visible to whoever may see the organization."""

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from meetings.errors import Conflict, NotFound
from meetings.identity.principal import Principal
from meetings.manager.departments.models import Department
from meetings.manager.departments.schemas import DepartmentCreate, DepartmentUpdate
from meetings.manager.entities.access import get_active_entity, get_entity
from meetings.manager.professionals.models import ProfessionalEntity


def get_department(*, db: Session, principal: Principal, department_id: int) -> Department:
    """A department of an entity the caller may see; any other id reads as missing."""
    department = db.get(Department, department_id)
    if department is None or not principal.can_access_entity(department.entity_id):
        raise NotFound(
            "Department not found.", code="department_not_found", details={"department_id": department_id}
        )
    return department


def _get_active_department(db: Session, principal: Principal, department_id: int) -> Department:
    department = get_department(db=db, principal=principal, department_id=department_id)
    if not department.active:
        raise Conflict(
            "The department is deleted.", code="department_inactive", details={"department_id": department_id}
        )
    return department


def list_departments_query(
    *, db: Session, principal: Principal, entity_id: int, active: bool | None = None, q: str | None = None
) -> Select:
    """The departments of one visible entity, filtered, ordered by id."""
    get_entity(db=db, principal=principal, entity_id=entity_id)
    statement = select(Department).where(Department.entity_id == entity_id).order_by(Department.id)
    if active is not None:
        statement = statement.where(Department.active.is_(active))
    if q:
        statement = statement.where(Department.name.icontains(q, autoescape=True))
    return statement


def create_department(
    *, db: Session, principal: Principal, entity_id: int, data: DepartmentCreate
) -> Department:
    """Adds a department to an active entity."""
    get_active_entity(db=db, principal=principal, entity_id=entity_id)
    department = Department(entity_id=entity_id, **data.model_dump())
    db.add(department)
    db.flush()
    return department


def update_department(
    *, db: Session, principal: Principal, department_id: int, data: DepartmentUpdate
) -> Department:
    """Changes the fields sent."""
    department = _get_active_department(db, principal, department_id)
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(department, field, value)
    db.flush()
    return department


def deactivate_department(*, db: Session, principal: Principal, department_id: int) -> Department:
    """Soft-deletes a department; professionals' links to it become inactive too."""
    department = get_department(db=db, principal=principal, department_id=department_id)
    department.active = False
    db.execute(
        update(ProfessionalEntity)
        .where(ProfessionalEntity.department_id == department_id, ProfessionalEntity.active)
        .values(active=False),
        execution_options={"synchronize_session": False},
    )
    db.flush()
    return department


def deactivate_entity_departments(*, db: Session, entity_id: int) -> int:
    """Deactivates every active department of a deleted entity; returns how many."""
    statement = (
        update(Department).where(Department.entity_id == entity_id, Department.active).values(active=False)
    )
    return db.execute(statement, execution_options={"synchronize_session": False}).rowcount
