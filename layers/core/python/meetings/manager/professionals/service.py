"""Professionals are shared by organizations: a MANAGER manages all of them; an ENTITY_ADMIN sees the
ones actively linked to their entity, creates new ones (linked at once) and manages their own links."""

from sqlalchemy import Select, exists, false, func, or_, select, update
from sqlalchemy.orm import Session

from meetings.errors import Conflict, Forbidden, NotFound, ValidationFailed
from meetings.identity.principal import Principal
from meetings.manager.departments.models import Department
from meetings.manager.entities.access import get_active_entity
from meetings.manager.professionals.models import Professional, ProfessionalEntity
from meetings.manager.professionals.schemas import (
    ProfessionalCreate,
    ProfessionalLinkCreate,
    ProfessionalUpdate,
)


def _linked_to(entity_id: int | None):
    return exists().where(
        ProfessionalEntity.professional_id == Professional.id,
        ProfessionalEntity.entity_id == entity_id,
        ProfessionalEntity.active,
    )


def get_professional(*, db: Session, principal: Principal, professional_id: int) -> Professional:
    """A professional the caller may see; one not linked to an admin's entity reads as missing."""
    statement = select(Professional).where(Professional.id == professional_id)
    if not principal.is_manager:
        statement = statement.where(_linked_to(principal.entity_id))
    professional = db.execute(statement).scalar_one_or_none()
    if professional is None:
        raise NotFound(
            "Professional not found.",
            code="professional_not_found",
            details={"professional_id": professional_id},
        )
    return professional


def _get_manageable_professional(db: Session, principal: Principal, professional_id: int) -> Professional:
    """An admin edits a professional's own record only while no other organization works with them."""
    professional = get_professional(db=db, principal=principal, professional_id=professional_id)
    if not principal.is_manager:
        # Other entities' links are out of the caller's row-level security scope: the database answers.
        shared = db.execute(
            select(func.professional_linked_elsewhere(professional_id, principal.entity_id))
        ).scalar_one()
        if shared:
            raise Forbidden(
                "This professional also works for another entity; ask a platform manager to change them.",
                code="professional_shared",
            )
    return professional


def list_professionals_query(
    *,
    principal: Principal,
    active: bool | None = None,
    entity_id: int | None = None,
    q: str | None = None,
) -> Select:
    """The professionals the caller may see, filtered, ordered by id."""
    statement = select(Professional).order_by(Professional.id)
    if not principal.is_manager:
        statement = statement.where(_linked_to(principal.entity_id))
    if entity_id is not None:
        if not principal.can_access_entity(entity_id):
            return statement.where(false())
        statement = statement.where(_linked_to(entity_id))
    if active is not None:
        statement = statement.where(Professional.active.is_(active))
    if q:
        statement = statement.where(
            or_(
                Professional.name.icontains(q, autoescape=True),
                Professional.email.icontains(q, autoescape=True),
                Professional.phone_number.contains(q, autoescape=True),
            )
        )
    return statement


def create_professional(*, db: Session, principal: Principal, data: ProfessionalCreate) -> Professional:
    """Creates a professional; one created by an entity admin is linked to their entity."""
    if not principal.is_manager:
        get_active_entity(db=db, principal=principal, entity_id=principal.entity_id)
    professional = Professional(**data.model_dump())
    db.add(professional)
    db.flush()
    if not principal.is_manager:
        db.add(ProfessionalEntity(professional_id=professional.id, entity_id=principal.entity_id))
        db.flush()
    return professional


def update_professional(
    *, db: Session, principal: Principal, professional_id: int, data: ProfessionalUpdate
) -> Professional:
    """Changes the fields sent."""
    professional = _get_manageable_professional(db, principal, professional_id)
    if not professional.active:
        raise Conflict("The professional is deleted.", code="professional_inactive")
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(professional, field, value)
    db.flush()
    return professional


def deactivate_professional(*, db: Session, principal: Principal, professional_id: int) -> Professional:
    """Soft-deletes a professional and every link they have."""
    professional = _get_manageable_professional(db, principal, professional_id)
    professional.active = False
    db.execute(
        update(ProfessionalEntity)
        .where(ProfessionalEntity.professional_id == professional_id, ProfessionalEntity.active)
        .values(active=False),
        execution_options={"synchronize_session": False},
    )
    db.flush()
    return professional


def list_links_query(
    *, db: Session, principal: Principal, professional_id: int, active: bool | None = None
) -> Select:
    """A visible professional's links to the entities the caller may see, ordered by id."""
    get_professional(db=db, principal=principal, professional_id=professional_id)
    statement = (
        select(ProfessionalEntity)
        .where(ProfessionalEntity.professional_id == professional_id)
        .order_by(ProfessionalEntity.id)
    )
    if not principal.is_manager:
        statement = statement.where(ProfessionalEntity.entity_id == principal.entity_id)
    if active is not None:
        statement = statement.where(ProfessionalEntity.active.is_(active))
    return statement


def department_not_in_entity() -> ValidationFailed:
    return ValidationFailed.for_field(
        "department_id", "department_not_in_entity", "The department does not belong to this entity."
    )


def _department_in_entity(db: Session, department_id: int, entity_id: int) -> None:
    department = db.get(Department, department_id)
    if department is None or department.entity_id != entity_id:
        raise department_not_in_entity()
    if not department.active:
        raise Conflict(
            "The department is deleted.", code="department_inactive", details={"department_id": department_id}
        )


def create_link(
    *, db: Session, principal: Principal, professional_id: int, data: ProfessionalLinkCreate
) -> ProfessionalEntity:
    """Links a professional to an entity, optionally to one of its departments."""
    professional = get_professional(db=db, principal=principal, professional_id=professional_id)
    if not professional.active:
        raise Conflict("The professional is deleted.", code="professional_inactive")
    get_active_entity(db=db, principal=principal, entity_id=data.entity_id)
    if data.department_id is not None:
        _department_in_entity(db, data.department_id, data.entity_id)
    link = ProfessionalEntity(professional_id=professional_id, **data.model_dump())
    db.add(link)
    db.flush()
    return link


def deactivate_link(
    *, db: Session, principal: Principal, professional_id: int, link_id: int
) -> ProfessionalEntity:
    """Soft-deletes one link of a professional."""
    get_professional(db=db, principal=principal, professional_id=professional_id)
    link = db.get(ProfessionalEntity, link_id)
    if (
        link is None
        or link.professional_id != professional_id
        or not principal.can_access_entity(link.entity_id)
    ):
        raise NotFound("Link not found.", code="link_not_found", details={"link_id": link_id})
    link.active = False
    db.flush()
    return link


def deactivate_entity_links(*, db: Session, entity_id: int) -> int:
    """Deactivates every active professional link of a deleted entity; returns how many."""
    statement = (
        update(ProfessionalEntity)
        .where(ProfessionalEntity.entity_id == entity_id, ProfessionalEntity.active)
        .values(active=False)
    )
    return db.execute(statement, execution_options={"synchronize_session": False}).rowcount
