from fastapi import APIRouter

from meetings.api.database import DbSession
from meetings.errors import DomainError
from meetings.identity.dependency import CurrentPrincipal
from meetings.manager.auth import service
from meetings.manager.auth.schemas import LoginRequest, TokenOut
from meetings.manager.users.schemas import UserOut

router = APIRouter(tags=["auth"])

TOO_MANY_ATTEMPTS = {429: {"description": "Too many failed logins for this address; see Retry-After."}}


@router.post(
    "/v1/auth/login",
    response_model=TokenOut,
    summary="Log in with email and password",
    responses={
        401: {"description": "Email or password is incorrect (same answer for both)."},
        **TOO_MANY_ATTEMPTS,
    },
)
def login(db: DbSession, data: LoginRequest):
    try:
        result = service.login(db=db, email=data.email, password=data.password)
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
