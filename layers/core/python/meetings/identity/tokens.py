"""Backoffice access tokens (JWT)."""

from datetime import UTC, datetime, timedelta

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
        claims = jwt.decode(
            token,
            settings.jwt_secret.get_secret_value(),
            algorithms=[JWT_ALGORITHM],
            audience=JWT_AUDIENCE,
            options={"require": ["exp", "sub", "aud", "ver"]},
        )
        return int(claims["sub"]), int(claims["ver"])
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The access token has expired.", code="token_expired") from exc
    except (jwt.InvalidTokenError, ValueError) as exc:
        raise Unauthorized("The access token is invalid.", code="invalid_token") from exc
