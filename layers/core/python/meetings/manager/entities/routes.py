from fastapi import APIRouter, status

from meetings.api.database import DbSession
from meetings.api.errors import register_constraint_error
from meetings.api.pagination import Page, Pagination, paginate
from meetings.api.params import IdPath, text_query
from meetings.errors import Conflict
from meetings.identity.dependency import CurrentPrincipal
from meetings.manager.entities import access, service
from meetings.manager.entities.schemas import EntityCreate, EntityDeletionOut, EntityOut, EntityUpdate

ERRORS = {
    401: {"description": "`not_authenticated`, `invalid_token` or `token_expired`"},
    403: {
        "description": "`forbidden_role` (creating or deleting an entity needs a MANAGER), `forbidden_field` "
        "(an entity admin renaming) or `plan_limit` (an entity admin raising capacity or retention)"
    },
    404: {"description": "`entity_not_found` (also for another entity's id)"},
    409: {"description": "`entity_name_taken` or `entity_inactive`"},
}

router = APIRouter(tags=["entities"], responses=ERRORS)

register_constraint_error(
    "uq_entities_active_name", Conflict("An active entity already has this name.", code="entity_name_taken")
)


@router.get("/v1/entities", response_model=Page[EntityOut], summary="List entities")
def list_entities(
    db: DbSession,
    principal: CurrentPrincipal,
    page: Pagination,
    active: bool | None = None,
    type: text_query(100, "Exact entity type, e.g. medical_clinic") = None,
    q: text_query(200, "Search in the name") = None,
):
    statement = service.list_entities_query(principal=principal, active=active, type=type, q=q)
    return paginate(db, statement, page, schema=EntityOut)


@router.post(
    "/v1/entities", response_model=EntityOut, status_code=status.HTTP_201_CREATED, summary="Create an entity"
)
def create_entity(db: DbSession, principal: CurrentPrincipal, data: EntityCreate):
    entity = service.create_entity(db=db, principal=principal, data=data)
    return entity


@router.get("/v1/entities/{entity_id}", response_model=EntityOut, summary="Get an entity")
def get_entity(db: DbSession, principal: CurrentPrincipal, entity_id: IdPath):
    return access.get_entity(db=db, principal=principal, entity_id=entity_id)


@router.patch("/v1/entities/{entity_id}", response_model=EntityOut, summary="Update an entity")
def update_entity(db: DbSession, principal: CurrentPrincipal, entity_id: IdPath, data: EntityUpdate):
    entity = service.update_entity(db=db, principal=principal, entity_id=entity_id, data=data)
    return entity


@router.delete(
    "/v1/entities/{entity_id}",
    response_model=EntityDeletionOut,
    summary="Delete an entity (soft) and cascade to its departments, links, users, knowledge base and future rooms",
)
def delete_entity(db: DbSession, principal: CurrentPrincipal, entity_id: IdPath):
    deletion = service.delete_entity(db=db, principal=principal, entity_id=entity_id)
    return EntityDeletionOut.model_validate(deletion)
