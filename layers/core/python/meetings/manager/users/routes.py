from fastapi import APIRouter, status

from meetings.api.database import DbSession
from meetings.api.errors import register_constraint_error
from meetings.api.pagination import Page, Pagination, paginate
from meetings.api.params import IdPath, IdQuery, text_query
from meetings.errors import Conflict
from meetings.identity.dependency import CurrentPrincipal
from meetings.identity.roles import UserRole
from meetings.manager.users import service
from meetings.manager.users.schemas import PasswordResetOut, UserCreate, UserOut, UserUpdate

ERRORS = {
    401: {"description": "`not_authenticated`, `invalid_token` or `token_expired`"},
    403: {
        "description": "`forbidden_role` (an entity admin creating a MANAGER), `invalid_current_password`, "
        "`password_reset_required` (another user's password) or `email_change_forbidden`"
    },
    404: {"description": "`user_not_found` or `entity_not_found` (also for another entity's ids)"},
    409: {"description": "`email_taken`, `cannot_deactivate_self`, `entity_inactive` or `user_inactive`"},
}

router = APIRouter(tags=["users"], responses=ERRORS)

register_constraint_error(
    "idx_users_email", Conflict("A user with this email already exists.", code="email_taken")
)


@router.get("/v1/users", response_model=Page[UserOut], summary="List backoffice users")
def list_users(
    db: DbSession,
    principal: CurrentPrincipal,
    page: Pagination,
    active: bool | None = None,
    entity_id: IdQuery = None,
    role: UserRole | None = None,
    q: text_query(254, "Search in email and phone number") = None,
):
    statement = service.list_users_query(
        principal=principal, active=active, entity_id=entity_id, role=role, q=q
    )
    return paginate(db, statement, page, schema=UserOut)


@router.post(
    "/v1/users", response_model=UserOut, status_code=status.HTTP_201_CREATED, summary="Create a user"
)
def create_user(db: DbSession, principal: CurrentPrincipal, data: UserCreate):
    user = service.create_user(db=db, principal=principal, data=data)
    return user


@router.get("/v1/users/{user_id}", response_model=UserOut, summary="Get a user")
def get_user(db: DbSession, principal: CurrentPrincipal, user_id: IdPath):
    return service.get_user(db=db, principal=principal, user_id=user_id)


@router.patch(
    "/v1/users/{user_id}",
    response_model=UserOut,
    summary="Update a user (phone, active; your own email and password with current_password)",
)
def update_user(db: DbSession, principal: CurrentPrincipal, user_id: IdPath, data: UserUpdate):
    user = service.update_user(db=db, principal=principal, user_id=user_id, data=data)
    return user


@router.delete("/v1/users/{user_id}", response_model=UserOut, summary="Deactivate a user (soft delete)")
def delete_user(db: DbSession, principal: CurrentPrincipal, user_id: IdPath):
    user = service.deactivate_user(db=db, principal=principal, user_id=user_id)
    return user


@router.post(
    "/v1/users/{user_id}/password-reset",
    response_model=PasswordResetOut,
    status_code=status.HTTP_201_CREATED,
    summary="Issue a one-time password reset token for a user (shown once)",
)
def issue_password_reset(db: DbSession, principal: CurrentPrincipal, user_id: IdPath):
    issued = service.issue_password_reset(db=db, principal=principal, user_id=user_id)
    return PasswordResetOut(reset_token=issued.reset_token, expires_at=issued.expires_at)
