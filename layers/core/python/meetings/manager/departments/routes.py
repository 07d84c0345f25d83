from fastapi import APIRouter, status

from meetings.api.database import DbSession
from meetings.api.errors import register_constraint_error
from meetings.api.pagination import Page, Pagination, paginate
from meetings.api.params import IdPath, text_query
from meetings.errors import Conflict
from meetings.identity.dependency import CurrentPrincipal
from meetings.manager.departments import service
from meetings.manager.departments.schemas import DepartmentCreate, DepartmentOut, DepartmentUpdate

ERRORS = {
    401: {"description": "`not_authenticated`, `invalid_token` or `token_expired`"},
    404: {"description": "`entity_not_found` or `department_not_found` (also for another entity's ids)"},
    409: {"description": "`department_name_taken`, `entity_inactive` or `department_inactive`"},
}

router = APIRouter(tags=["departments"], responses=ERRORS)

register_constraint_error(
    "uq_departments_entity_active_name",
    Conflict("An active department of this entity already has this name.", code="department_name_taken"),
)


@router.get(
    "/v1/entities/{entity_id}/departments",
    response_model=Page[DepartmentOut],
    summary="List an entity's departments",
)
def list_departments(
    db: DbSession,
    principal: CurrentPrincipal,
    page: Pagination,
    entity_id: IdPath,
    active: bool | None = None,
    q: text_query(100, "Search in the name") = None,
):
    statement = service.list_departments_query(
        db=db, principal=principal, entity_id=entity_id, active=active, q=q
    )
    return paginate(db, statement, page, schema=DepartmentOut)


@router.post(
    "/v1/entities/{entity_id}/departments",
    response_model=DepartmentOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a department in an entity",
)
def create_department(db: DbSession, principal: CurrentPrincipal, entity_id: IdPath, data: DepartmentCreate):
    department = service.create_department(db=db, principal=principal, entity_id=entity_id, data=data)
    return department


@router.get("/v1/departments/{department_id}", response_model=DepartmentOut, summary="Get a department")
def get_department(db: DbSession, principal: CurrentPrincipal, department_id: IdPath):
    return service.get_department(db=db, principal=principal, department_id=department_id)


@router.patch("/v1/departments/{department_id}", response_model=DepartmentOut, summary="Update a department")
def update_department(
    db: DbSession, principal: CurrentPrincipal, department_id: IdPath, data: DepartmentUpdate
):
    department = service.update_department(db=db, principal=principal, department_id=department_id, data=data)
    return department


@router.delete(
    "/v1/departments/{department_id}",
    response_model=DepartmentOut,
    summary="Deactivate a department (soft delete)",
)
def delete_department(db: DbSession, principal: CurrentPrincipal, department_id: IdPath):
    department = service.deactivate_department(db=db, principal=principal, department_id=department_id)
    return department
