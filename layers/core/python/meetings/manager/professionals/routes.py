from typing import Annotated

from fastapi import APIRouter, Query, status

from meetings.api.database import DbSession
from meetings.api.errors import register_constraint_error
from meetings.api.pagination import Page, Pagination, paginate
from meetings.api.params import IdPath, IdQuery, text_query
from meetings.errors import Conflict
from meetings.identity.dependency import CurrentPrincipal
from meetings.manager.professionals import service
from meetings.manager.professionals.schemas import (
    ProfessionalCreate,
    ProfessionalLinkCreate,
    ProfessionalLinkOut,
    ProfessionalOut,
    ProfessionalUpdate,
)

ERRORS = {
    401: {"description": "`not_authenticated`, `invalid_token` or `token_expired`"},
    403: {
        "description": "`professional_shared`: an entity admin changing a professional other entities work with"
    },
    404: {
        "description": "`professional_not_found`, `entity_not_found` or `link_not_found` (also other entities' ids)"
    },
    409: {
        "description": "`link_exists`, `professional_inactive`, `entity_inactive` or `department_inactive`"
    },
}

router = APIRouter(tags=["professionals"], responses=ERRORS)

register_constraint_error(
    "idx_prof_entity_unique",
    Conflict("The professional already has this active link.", code="link_exists"),
)
register_constraint_error(
    "fk_professional_entities_department_same_entity", service.department_not_in_entity()
)


@router.get("/v1/professionals", response_model=Page[ProfessionalOut], summary="List professionals")
def list_professionals(
    db: DbSession,
    principal: CurrentPrincipal,
    page: Pagination,
    active: bool | None = None,
    entity_id: Annotated[
        IdQuery, Query(description="Only professionals actively linked to this entity")
    ] = None,
    q: text_query(254, "Search in name, email and phone number") = None,
):
    statement = service.list_professionals_query(principal=principal, active=active, entity_id=entity_id, q=q)
    return paginate(db, statement, page, schema=ProfessionalOut)


@router.post(
    "/v1/professionals",
    response_model=ProfessionalOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a professional (an entity admin's is linked to their entity)",
)
def create_professional(db: DbSession, principal: CurrentPrincipal, data: ProfessionalCreate):
    professional = service.create_professional(db=db, principal=principal, data=data)
    return professional


@router.get(
    "/v1/professionals/{professional_id}", response_model=ProfessionalOut, summary="Get a professional"
)
def get_professional(db: DbSession, principal: CurrentPrincipal, professional_id: IdPath):
    return service.get_professional(db=db, principal=principal, professional_id=professional_id)


@router.patch(
    "/v1/professionals/{professional_id}", response_model=ProfessionalOut, summary="Update a professional"
)
def update_professional(
    db: DbSession, principal: CurrentPrincipal, professional_id: IdPath, data: ProfessionalUpdate
):
    professional = service.update_professional(
        db=db, principal=principal, professional_id=professional_id, data=data
    )
    return professional


@router.delete(
    "/v1/professionals/{professional_id}",
    response_model=ProfessionalOut,
    summary="Deactivate a professional and their links (soft delete)",
)
def delete_professional(db: DbSession, principal: CurrentPrincipal, professional_id: IdPath):
    professional = service.deactivate_professional(
        db=db, principal=principal, professional_id=professional_id
    )
    return professional


@router.get(
    "/v1/professionals/{professional_id}/entities",
    response_model=Page[ProfessionalLinkOut],
    summary="List a professional's entity links",
)
def list_links(
    db: DbSession,
    principal: CurrentPrincipal,
    page: Pagination,
    professional_id: IdPath,
    active: bool | None = None,
):
    statement = service.list_links_query(
        db=db, principal=principal, professional_id=professional_id, active=active
    )
    return paginate(db, statement, page, schema=ProfessionalLinkOut)


@router.post(
    "/v1/professionals/{professional_id}/entities",
    response_model=ProfessionalLinkOut,
    status_code=status.HTTP_201_CREATED,
    summary="Link a professional to an entity (and optionally a department)",
)
def create_link(
    db: DbSession, principal: CurrentPrincipal, professional_id: IdPath, data: ProfessionalLinkCreate
):
    link = service.create_link(db=db, principal=principal, professional_id=professional_id, data=data)
    return link


@router.delete(
    "/v1/professionals/{professional_id}/entities/{link_id}",
    response_model=ProfessionalLinkOut,
    summary="Deactivate a professional's entity link (soft delete)",
)
def delete_link(db: DbSession, principal: CurrentPrincipal, professional_id: IdPath, link_id: IdPath):
    link = service.deactivate_link(
        db=db, principal=principal, professional_id=professional_id, link_id=link_id
    )
    return link
