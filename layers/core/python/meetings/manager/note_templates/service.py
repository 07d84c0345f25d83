"""Note templates of an entity and its departments, and which one a room's note follows."""

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from meetings.errors import NotFound
from meetings.identity.principal import Principal
from meetings.manager.departments.models import Department
from meetings.manager.entities.access import get_active_entity, get_entity
from meetings.manager.entities.models import Entity
from meetings.manager.note_templates.builtin import TemplateSpec, builtin_for_entity_type
from meetings.manager.note_templates.models import NoteKind, NoteTemplate
from meetings.manager.note_templates.schemas import NoteTemplateCreate, NoteTemplateUpdate

VERSIONED_FIELDS = ("kind", "sections")


def _not_found(template_id: int) -> NotFound:
    return NotFound(
        "Note template not found.", code="note_template_not_found", details={"template_id": template_id}
    )


def get_template(*, db: Session, principal: Principal, entity_id: int, template_id: int) -> NoteTemplate:
    """A template of a visible entity; another entity's template reads as missing."""
    get_entity(db=db, principal=principal, entity_id=entity_id)
    template = db.get(NoteTemplate, template_id)
    if template is None or template.entity_id != entity_id:
        raise _not_found(template_id)
    return template


def list_templates_query(*, db: Session, principal: Principal, entity_id: int) -> Select:
    """The entity's templates, the entity-wide ones first, then by department and id."""
    get_entity(db=db, principal=principal, entity_id=entity_id)
    return (
        select(NoteTemplate)
        .where(NoteTemplate.entity_id == entity_id)
        .order_by(NoteTemplate.department_id.asc().nulls_first(), NoteTemplate.id)
    )


def _check_department(db: Session, entity_id: int, department_id: int | None) -> None:
    if department_id is None:
        return
    department = db.get(Department, department_id)
    if department is None or department.entity_id != entity_id:
        raise NotFound(
            "Department not found.", code="department_not_found", details={"department_id": department_id}
        )


def _clear_defaults(db: Session, entity_id: int, department_id: int | None, keep: int | None = None) -> None:
    """At most one default per entity or department: a new one unsets the previous first."""
    others = db.scalars(
        select(NoteTemplate).where(
            NoteTemplate.entity_id == entity_id,
            NoteTemplate.department_id.is_(None)
            if department_id is None
            else NoteTemplate.department_id == department_id,
            NoteTemplate.is_default.is_(True),
            NoteTemplate.id != keep if keep is not None else True,
        )
    )
    for other in others:
        other.is_default = False
    db.flush()


def create_template(
    *, db: Session, principal: Principal, entity_id: int, data: NoteTemplateCreate
) -> NoteTemplate:
    """Stores a template for the entity, or for one of its departments."""
    get_active_entity(db=db, principal=principal, entity_id=entity_id)
    _check_department(db, entity_id, data.department_id)
    if data.is_default:
        _clear_defaults(db, entity_id, data.department_id)
    template = NoteTemplate(entity_id=entity_id, **data.model_dump(mode="json"))
    db.add(template)
    db.flush()
    return template


def update_template(
    *, db: Session, principal: Principal, entity_id: int, template_id: int, data: NoteTemplateUpdate
) -> NoteTemplate:
    """Changes the fields sent; a new kind or new sections make a new version."""
    get_active_entity(db=db, principal=principal, entity_id=entity_id)
    template = get_template(db=db, principal=principal, entity_id=entity_id, template_id=template_id)
    changes = data.model_dump(mode="json", exclude_unset=True)
    if any(field in changes and changes[field] != getattr(template, field) for field in VERSIONED_FIELDS):
        template.version += 1
    if changes.get("is_default"):
        _clear_defaults(db, entity_id, template.department_id, keep=template.id)
    for field, value in changes.items():
        setattr(template, field, value)
    db.flush()
    db.refresh(template)
    return template


def delete_template(*, db: Session, principal: Principal, entity_id: int, template_id: int) -> NoteTemplate:
    """Deletes a template and returns it as it was; notes already drafted keep their own copy of it."""
    template = get_template(db=db, principal=principal, entity_id=entity_id, template_id=template_id)
    db.delete(template)
    db.flush()
    return template


def _spec(template: NoteTemplate) -> TemplateSpec:
    return TemplateSpec(
        ref=f"template:{template.id}",
        version=template.version,
        name=template.name,
        kind=NoteKind(template.kind),
        sections=tuple(template.sections),
    )


def template_for(
    *, db: Session, entity_id: int | None, department_id: int | None
) -> tuple[str, TemplateSpec]:
    """The template in force: the department's default, else the entity's, else the built-in one its
    type suggests; with where it came from (department, entity, builtin)."""
    if entity_id is None:
        return "builtin", builtin_for_entity_type(None)
    defaults = db.scalars(
        select(NoteTemplate).where(NoteTemplate.entity_id == entity_id, NoteTemplate.is_default.is_(True))
    ).all()
    by_department = {template.department_id: template for template in defaults}
    if department_id is not None and department_id in by_department:
        return "department", _spec(by_department[department_id])
    if None in by_department:
        return "entity", _spec(by_department[None])
    entity = db.get(Entity, entity_id)
    return "builtin", builtin_for_entity_type(entity.type if entity else None)


def effective_template(
    *, db: Session, principal: Principal, entity_id: int, department_id: int | None
) -> tuple[str, TemplateSpec]:
    """The template a new room of this entity (and department) would follow."""
    get_entity(db=db, principal=principal, entity_id=entity_id)
    _check_department(db, entity_id, department_id)
    return template_for(db=db, entity_id=entity_id, department_id=department_id)
