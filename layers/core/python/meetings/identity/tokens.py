"""Backoffice access tokens (JWT)."""

import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt

from meetings.errors import Unauthorized
from meetings.identity.principal import Principal
from meetings.settings import Settings

JWT_ALGORITHM = "HS256"
JWT_AUDIENCE = "meetings-backoffice"


def issue_access_token(
    principal: Principal, settings: Settings, *, token_version: int = 0
) -> tuple[str, int]:
    """Signs a short-lived access token; returns it with its lifetime in seconds.

    `ver` is the user's token version when it was issued: changing the password, email or role bumps
    the version, which ends every session opened before.
    """
    now = datetime.now(UTC)
    claims = {
        "sub": str(principal.user_id),
        "ver": token_version,
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
    return decode_access_claims(token, settings)[0]


def decode_access_claims(token: str, settings: Settings) -> tuple[int, int]:
    """Verifies an access token and returns the user id and token version it was issued with."""
    try:
        user_id, token_version, expires_at = _verified_claims(token, settings.jwt_secret.get_secret_value())
    except (jwt.InvalidTokenError, ValueError, TypeError) as exc:  # TypeError: a claim of the wrong shape
        raise Unauthorized("The access token is invalid.", code="invalid_token") from exc
    if expires_at <= time.time():
        raise Unauthorized("The access token has expired.", code="token_expired")
    return user_id, token_version


# A warm container sees the same few tokens again and again, and a token's signature and claims never
# change: only the clock moves, so expiry is checked on every call. A token that fails is not cached.
# Whether it still belongs to the user's sessions (token version, active user) is the database's
# answer on every request.
@lru_cache(maxsize=512)
def _verified_claims(token: str, secret: str) -> tuple[int, int, float]:
    claims = jwt.decode(
        token,
        secret,
        algorithms=[JWT_ALGORITHM],
        audience=JWT_AUDIENCE,
        options={"require": ["exp", "sub", "aud", "ver"], "verify_exp": False},
    )
    return int(claims["sub"]), int(claims["ver"]), float(claims["exp"])
