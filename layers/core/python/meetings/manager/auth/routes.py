from fastapi import APIRouter, Request

from meetings.api.database import DbSession
from meetings.db_scope import set_db_scope
from meetings.errors import DomainError
from meetings.identity.dependency import CurrentPrincipal
from meetings.manager.auth import service
from meetings.manager.auth.schemas import LoginRequest, TokenOut
from meetings.manager.users import service as users_service
from meetings.manager.users.schemas import PasswordResetComplete, PasswordResetDone, UserOut

router = APIRouter(tags=["auth"])

TOO_MANY_ATTEMPTS = {
    429: {"description": "`too_many_attempts`: too many failed logins for this address or from this client"}
}


@router.post(
    "/v1/auth/login",
    response_model=TokenOut,
    summary="Log in with email and password",
    responses={
        401: {"description": "Email or password is incorrect (same answer for both)."},
        **TOO_MANY_ATTEMPTS,
    },
)
def login(db: DbSession, data: LoginRequest, request: Request):
    set_db_scope(db, "auth")
    client = request.client.host if request.client else None  # API Gateway's source IP, through Mangum
    try:
        result = service.login(db=db, email=data.email, password=data.password, client=client)
    except DomainError:
        db.commit()  # a failed login is counted even though the answer is an error
        raise
    return TokenOut(
        access_token=result.access_token,
        expires_in=result.expires_in,
        user=UserOut.model_validate(result.user),
    )


@router.get(
    "/v1/auth/me",
    response_model=UserOut,
    summary="The logged-in user",
    responses={401: {"description": "`not_authenticated`, `invalid_token` or `token_expired`"}},
)
def me(db: DbSession, principal: CurrentPrincipal):
    return service.get_me(db=db, principal=principal)


@router.post(
    "/v1/auth/password-reset",
    response_model=PasswordResetDone,
    summary="Set a new password with a one-time reset token; ends every session of the user",
    responses={400: {"description": "`invalid_reset_token`: unknown, already used or expired"}},
)
def complete_password_reset(db: DbSession, data: PasswordResetComplete) -> PasswordResetDone:
    set_db_scope(db, "auth")  # the reset token names the user
    users_service.complete_password_reset(db=db, reset_token=data.reset_token, password=data.password)
    return PasswordResetDone()
