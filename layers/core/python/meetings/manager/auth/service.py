"""Backoffice login: bcrypt check, no user enumeration, failures throttled per address and per client.

Each address and each client (source IP) counts its failures in a window. At the limit it is locked,
first briefly, then twice as long at each further failure, never longer than MAX_LOCK: a mistyped
password costs seconds, guessing costs hours, and nobody else's failures can keep an owner out for more
than MAX_LOCK at a time. A locked key refuses without counting, so waiting out a lock does not extend it.
"""

import hashlib
import hmac
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, func, select
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

MAX_FAILED_LOGINS = 5  # per address
MAX_FAILED_LOGINS_PER_CLIENT = 20  # per source IP, whatever the addresses
FAILURE_WINDOW = timedelta(minutes=15)
FIRST_LOCK = timedelta(seconds=30)
MAX_LOCK = timedelta(minutes=15)
MAX_DOUBLINGS = math.ceil(math.log2(MAX_LOCK / FIRST_LOCK))  # FIRST_LOCK doubled this often reaches MAX_LOCK


@dataclass(frozen=True)
class LoginResult:
    access_token: str = field(repr=False)
    expires_in: int
    user: User


def address_key(email: str) -> str:
    return _throttle_key("address", email)


def client_key(client: str) -> str:
    return _throttle_key("client", client)


def _throttle_key(kind: str, value: str) -> str:
    """A keyed hash of the address or the client's IP, so that the table holds neither: the key is
    the signing secret of access tokens, and rotating it starts every count afresh."""
    secret = get_settings().jwt_secret.get_secret_value().encode()
    return f"{kind}:{hmac.new(secret, f'{kind}:{value}'.encode(), hashlib.sha256).hexdigest()}"


def _locked_until(db: Session, keys: list[str], now: datetime) -> datetime | None:
    return db.execute(
        select(func.max(LoginThrottle.locked_until)).where(
            LoginThrottle.key.in_(keys), LoginThrottle.locked_until > now
        )
    ).scalar_one_or_none()


def _record_failure(db: Session, key: str, limit: int, now: datetime) -> None:
    """Counts one failure atomically; from the limit on, each failure locks the key twice as long."""
    table = LoginThrottle.__table__
    # A count restarts a window after its first failure, or after its lock ended (GREATEST skips NULL).
    last_mark = func.greatest(table.c.first_failed_at, table.c.locked_until)
    window_expired = (table.c.first_failed_at.is_(None)) | (last_mark < now - FAILURE_WINDOW)
    failed_count = case((window_expired, 1), else_=table.c.failed_count + 1)
    # The exponent is capped before power(): past MAX_DOUBLINGS the lock is MAX_LOCK anyway, and an
    # uncapped 2^n overflows numeric after about a thousand counted failures (ten days of one guess per lock).
    doublings = func.least(failed_count - limit, MAX_DOUBLINGS)
    seconds = func.least(FIRST_LOCK.total_seconds() * func.power(2, doublings), MAX_LOCK.total_seconds())
    lock = now + func.make_interval(0, 0, 0, 0, 0, 0, seconds)
    statement = insert(LoginThrottle).values(key=key, failed_count=1, first_failed_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "failed_count": failed_count,
            "first_failed_at": case((window_expired, now), else_=table.c.first_failed_at),
            "locked_until": case((failed_count >= limit, lock), else_=None),
        },
    )
    db.execute(statement)


def prune_throttles(*, db: Session, now: datetime) -> int:
    """Deletes the rows whose window and lock are both over; returns how many."""
    last_mark = func.greatest(LoginThrottle.first_failed_at, LoginThrottle.locked_until)
    statement = delete(LoginThrottle).where(last_mark < now - FAILURE_WINDOW)
    return db.execute(statement, execution_options={"synchronize_session": False}).rowcount


def too_many_attempts(locked_until: datetime, now: datetime) -> TooManyRequests:
    retry_after = max(1, int((locked_until - now).total_seconds() + 0.999))
    return TooManyRequests(
        "Too many failed logins. Try again later.",
        code="too_many_attempts",
        details={"retry_after_seconds": retry_after},
    )


def login(
    *, db: Session, email: str, password: str, client: str | None = None, now: datetime | None = None
) -> LoginResult:
    """Checks credentials and issues an access token; every failure looks and costs the same."""
    settings = get_settings()
    now = now or datetime.now(UTC)
    limits = {address_key(email): MAX_FAILED_LOGINS}
    if client:
        limits[client_key(client)] = MAX_FAILED_LOGINS_PER_CLIENT
    locked_until = _locked_until(db, list(limits), now)
    if locked_until is not None:
        raise too_many_attempts(locked_until, now)
    user = db.execute(select(User).where(User.email == email)).scalar_one_or_none()
    # One bcrypt check whatever the case, so an unknown address takes as long as a wrong password. The
    # dummy hash is built on the first login of the process, whichever kind it is.
    no_account_hash = dummy_hash(settings.bcrypt_rounds)
    password_matches = verify_password(password, user.password if user else no_account_hash)
    if user is None or not user.active or not password_matches:
        for key, limit in limits.items():
            _record_failure(db, key, limit, now)
        prune_throttles(db=db, now=now)
        logger.info("login failed", extra={"known_user": user is not None})
        raise Unauthorized("Email or password is incorrect.", code="invalid_credentials")
    db.execute(delete(LoginThrottle).where(LoginThrottle.key == address_key(email)))
    principal = Principal(user_id=user.id, role=user.role, entity_id=user.entity_id)
    token, expires_in = issue_access_token(principal, settings, token_version=user.token_version)
    logger.info("login succeeded", extra={"user_id": user.id})
    return LoginResult(access_token=token, expires_in=expires_in, user=user)


def get_me(*, db: Session, principal: Principal) -> User:
    """The calling user's account."""
    return db.get_one(User, principal.user_id)
