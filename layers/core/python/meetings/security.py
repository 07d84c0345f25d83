"""Passwords (bcrypt), backoffice access tokens (JWT) and the authenticated principal."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import bcrypt
import jwt

from meetings.errors import Unauthorized
from meetings.manager.users.models import UserRole
from meetings.settings import Settings

JWT_ALGORITHM = "HS256"
JWT_AUDIENCE = "meetings-backoffice"
BCRYPT_MAX_PASSWORD_BYTES = 72


def hash_password(plain: str, *, rounds: int) -> str:
    """Hashes a password with bcrypt at the given cost."""
    return bcrypt.hashpw(plain.encode(), bcrypt.gensalt(rounds=rounds)).decode()


def verify_password(plain: str, hashed: str) -> bool:
    """Checks a password against a bcrypt hash; a malformed hash never matches."""
    try:
        return bcrypt.checkpw(plain.encode(), hashed.encode())
    except ValueError:
        return False


@lru_cache
def dummy_hash(rounds: int) -> str:
    """A hash to check against when there is no account, so both answers take the same time."""
    return hash_password("no-such-account", rounds=rounds)


@dataclass(frozen=True)
class Principal:
    """Who is calling the backoffice API."""

    user_id: int
    role: UserRole
    entity_id: int | None

    @property
    def is_manager(self) -> bool:
        return self.role == UserRole.MANAGER

    def can_access_entity(self, entity_id: int | None) -> bool:
        """Managers see everything; an entity admin only their own entity (never independent rows)."""
        return self.is_manager or (entity_id is not None and entity_id == self.entity_id)


def issue_access_token(principal: Principal, settings: Settings) -> tuple[str, int]:
    """Signs a short-lived access token; returns it with its lifetime in seconds."""
    now = datetime.now(UTC)
    claims = {
        "sub": str(principal.user_id),
        "role": principal.role.value,
        "entity_id": principal.entity_id,
        "aud": JWT_AUDIENCE,
        "iat": now,
        "exp": now + timedelta(seconds=settings.jwt_ttl_seconds),
    }
    token = jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm=JWT_ALGORITHM)
    return token, settings.jwt_ttl_seconds


def decode_access_token(token: str, settings: Settings) -> int:
    """Verifies an access token and returns the user id it was issued to."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret.get_secret_value(),
            algorithms=[JWT_ALGORITHM],
            audience=JWT_AUDIENCE,
            options={"require": ["exp", "sub", "aud"]},
        )
        return int(claims["sub"])
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The access token has expired.", code="token_expired") from exc
    except (jwt.InvalidTokenError, ValueError) as exc:
        raise Unauthorized("The access token is invalid.", code="invalid_token") from exc
