"""/v1/entities/{entity_id}/note-templates: the templates an entity's visit notes follow."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from meetings.api.database import DbSession
from meetings.api.errors import register_constraint_error
from meetings.api.pagination import Page, Pagination, paginate
from meetings.api.params import IdPath
from meetings.errors import Conflict
from meetings.identity.dependency import CurrentPrincipal
from meetings.manager.note_templates import service
from meetings.manager.note_templates.schemas import (
    EffectiveTemplateOut,
    NoteTemplateCreate,
    NoteTemplateOut,
    NoteTemplateUpdate,
)
from meetings.validation import RowId

ERRORS = {
    401: {"description": "`not_authenticated`, `invalid_token` or `token_expired`"},
    404: {
        "description": "`entity_not_found`, `department_not_found` or `note_template_not_found` "
        "(also for another entity's ids)"
    },
    409: {"description": "`note_template_name_taken` or `entity_inactive`"},
}
PREFIX = "/v1/entities/{entity_id}/note-templates"

router = APIRouter(tags=["note templates"], responses=ERRORS)

register_constraint_error(
    "uq_note_templates_entity_name",
    Conflict("This entity already has a note template with this name.", code="note_template_name_taken"),
)


@router.get(PREFIX, response_model=Page[NoteTemplateOut], summary="List an entity's note templates")
def list_note_templates(db: DbSession, principal: CurrentPrincipal, page: Pagination, entity_id: IdPath):
    statement = service.list_templates_query(db=db, principal=principal, entity_id=entity_id)
    return paginate(db, statement, page, schema=NoteTemplateOut)


@router.post(
    PREFIX,
    response_model=NoteTemplateOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a note template",
    description="Sections are named, each with instructions for the model. With `is_default`, the template "
    "replaces the previous default of the entity (or of `department_id`).",
)
def create_note_template(
    db: DbSession, principal: CurrentPrincipal, entity_id: IdPath, data: NoteTemplateCreate
):
    return service.create_template(db=db, principal=principal, entity_id=entity_id, data=data)


@router.get(
    f"{PREFIX}/effective",
    response_model=EffectiveTemplateOut,
    summary="The template a room's note would follow",
    description="The department's default, else the entity's, else the built-in one of the entity's type "
    "(SOAP for clinics, minutes for agencies, a class summary for schools).",
)
def get_effective_note_template(
    db: DbSession,
    principal: CurrentPrincipal,
    entity_id: IdPath,
    department_id: Annotated[RowId | None, Query(description="The room's department")] = None,
):
    source, spec = service.effective_template(
        db=db, principal=principal, entity_id=entity_id, department_id=department_id
    )
    template_id = int(spec.ref.split(":")[1]) if spec.ref.startswith("template:") else None
    return EffectiveTemplateOut(
        source=source,
        template_ref=spec.ref,
        template_id=template_id,
        name=spec.name,
        kind=spec.kind,
        version=spec.version,
        sections=list(spec.sections),
    )


@router.get(f"{PREFIX}/{{template_id}}", response_model=NoteTemplateOut, summary="Get a note template")
def get_note_template(db: DbSession, principal: CurrentPrincipal, entity_id: IdPath, template_id: IdPath):
    return service.get_template(db=db, principal=principal, entity_id=entity_id, template_id=template_id)


@router.patch(f"{PREFIX}/{{template_id}}", response_model=NoteTemplateOut, summary="Update a note template")
def update_note_template(
    db: DbSession,
    principal: CurrentPrincipal,
    entity_id: IdPath,
    template_id: IdPath,
    data: NoteTemplateUpdate,
):
    return service.update_template(
        db=db, principal=principal, entity_id=entity_id, template_id=template_id, data=data
    )


@router.delete(
    f"{PREFIX}/{{template_id}}",
    response_model=NoteTemplateOut,
    summary="Delete a note template",
    description="Answers the deleted template. Notes already drafted keep their own copy of it.",
)
def delete_note_template(db: DbSession, principal: CurrentPrincipal, entity_id: IdPath, template_id: IdPath):
    return service.delete_template(db=db, principal=principal, entity_id=entity_id, template_id=template_id)
