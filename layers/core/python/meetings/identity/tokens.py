"""Backoffice access tokens (JWT)."""

from datetime import UTC, datetime, timedelta

import jwt

from meetings.errors import Unauthorized
from meetings.identity.principal import Principal
from meetings.settings import Settings

JWT_ALGORITHM = "HS256"
JWT_AUDIENCE = "meetings-backoffice"


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
