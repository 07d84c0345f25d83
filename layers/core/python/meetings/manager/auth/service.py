"""Backoffice login: bcrypt check, no user enumeration, throttled failures per email address."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from meetings.errors import TooManyRequests, Unauthorized
from meetings.identity.passwords import dummy_hash, verify_password
from meetings.identity.principal import Principal
from meetings.identity.tokens import issue_access_token
from meetings.log import logger
from meetings.manager.auth.models import LoginThrottle
from meetings.manager.users.models import User
from meetings.settings import get_settings

MAX_FAILED_LOGINS = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)


@dataclass(frozen=True)
class LoginResult:
    access_token: str = field(repr=False)
    expires_in: int
    user: User


def _locked_until(db: Session, email: str, now: datetime) -> datetime | None:
    locked_until = db.execute(
        select(LoginThrottle.locked_until).where(LoginThrottle.email == email)
    ).scalar_one_or_none()
    return locked_until if locked_until is not None and locked_until > now else None


def _record_failure(db: Session, email: str, now: datetime) -> None:
    """Counts one failure atomically; the failure that reaches the limit locks the address."""
    table = LoginThrottle.__table__
    window_expired = (table.c.first_failed_at.is_(None)) | (table.c.first_failed_at < now - FAILURE_WINDOW)
    failed_count = case((window_expired, 1), else_=table.c.failed_count + 1)
    statement = insert(LoginThrottle).values(email=email, failed_count=1, first_failed_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.email],
        set_={
            "failed_count": failed_count,
            "first_failed_at": case((window_expired, now), else_=table.c.first_failed_at),
            "locked_until": case((failed_count >= MAX_FAILED_LOGINS, now + LOCK_DURATION), else_=None),
        },
    )
    db.execute(statement)


def too_many_attempts(locked_until: datetime, now: datetime) -> TooManyRequests:
    retry_after = max(1, int((locked_until - now).total_seconds() + 0.999))
    return TooManyRequests(
        "Too many failed logins for this address. Try again later.",
        code="too_many_attempts",
        details={"retry_after_seconds": retry_after},
    )


def login(*, db: Session, email: str, password: str, now: datetime | None = None) -> LoginResult:
    """Checks credentials and issues an access token; every failure looks and costs the same."""
    settings = get_settings()
    now = now or datetime.now(UTC)
    locked_until = _locked_until(db, email, now)
    if locked_until is not None:
        raise too_many_attempts(locked_until, now)
    user = db.execute(select(User).where(User.email == email)).scalar_one_or_none()
    # One bcrypt check whatever the case, so an unknown address takes as long as a wrong password. The
    # dummy hash is built on the first login of the process, whichever kind it is.
    no_account_hash = dummy_hash(settings.bcrypt_rounds)
    password_matches = verify_password(password, user.password if user else no_account_hash)
    if user is None or not user.active or not password_matches:
        _record_failure(db, email, now)
        logger.info("login failed", extra={"known_user": user is not None})
        raise Unauthorized("Email or password is incorrect.", code="invalid_credentials")
    db.execute(delete(LoginThrottle).where(LoginThrottle.email == email))
    principal = Principal(user_id=user.id, role=user.role, entity_id=user.entity_id)
    token, expires_in = issue_access_token(principal, settings)
    logger.info("login succeeded", extra={"user_id": user.id})
    return LoginResult(access_token=token, expires_in=expires_in, user=user)


def get_me(*, db: Session, principal: Principal) -> User:
    """The calling user's account."""
    return db.get_one(User, principal.user_id)
