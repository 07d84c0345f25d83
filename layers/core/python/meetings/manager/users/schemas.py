"""Backoffice accounts as the API reads and writes them; the password hash never leaves."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from meetings.identity.passwords import BCRYPT_MAX_PASSWORD_BYTES
from meetings.identity.roles import UserRole
from meetings.validation import EmailAddress, PhoneNumber, RequestModel, ResponseModel, RowId

MIN_PASSWORD_LENGTH = 8


def within_bcrypt_limit(value: str) -> str:
    """bcrypt reads only the first 72 bytes of a password: longer ones are refused, not truncated."""
    if len(value.encode()) > BCRYPT_MAX_PASSWORD_BYTES:
        raise PydanticCustomError("password_too_long", "Password must be at most 72 bytes in UTF-8.")
    return value


NewPassword = Annotated[
    str,
    StringConstraints(strip_whitespace=False),
    Field(min_length=MIN_PASSWORD_LENGTH),
    AfterValidator(within_bcrypt_limit),
]


class UserOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "email": "admin@clinic.example.com",
                    "phone_number": "+5511987654321",
                    "role": "ENTITY_ADMIN",
                    "entity_id": 3,
                    "active": True,
                    "created_at": "2026-11-26T04:00:00Z",
                    "updated_at": "2026-11-26T04:00:00Z",
                }
            ]
        }
    )

    id: int
    email: str
    phone_number: str
    role: UserRole
    entity_id: int | None
    active: bool
    created_at: datetime
    updated_at: datetime


class UserCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "email": "admin@clinic.example.com",
                    "password": "a long passphrase",
                    "phone_number": "+5511987654321",
                    "role": "ENTITY_ADMIN",
                    "entity_id": 3,
                }
            ]
        }
    )

    email: EmailAddress
    password: NewPassword
    phone_number: PhoneNumber
    role: UserRole
    entity_id: RowId | None = Field(
        default=None,
        description="Required for ENTITY_ADMIN (an entity admin may omit it: their own), null for MANAGER.",
    )


CurrentPassword = Annotated[
    str, StringConstraints(strip_whitespace=False), Field(min_length=1), AfterValidator(within_bcrypt_limit)
]


class UserUpdate(RequestModel):
    """Only the fields sent change. Role and organization are fixed at creation.

    Users change their own password and email with `current_password`; nobody sets another user's
    password (POST /v1/users/{id}/password-reset), and only a MANAGER changes another user's email.
    A new password or email ends the user's sessions (their access tokens stop working).
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"phone_number": "+5511912345678"},
                {"password": "a new long passphrase", "current_password": "the old passphrase"},
            ]
        }
    )

    email: EmailAddress = None
    password: NewPassword = None
    current_password: CurrentPassword = Field(
        default=None, description="Required to change your own password or email"
    )
    phone_number: PhoneNumber = None
    active: bool = None


class PasswordResetOut(ResponseModel):
    """Shown once: hand it to the user; it sets a new password once, within the hour."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"reset_token": "mR3k0xS1f9...", "expires_at": "2026-12-01T11:00:00Z"}]
        }
    )

    reset_token: str
    expires_at: datetime


class PasswordResetDone(ResponseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "password_changed"}]})

    status: Literal["password_changed"] = "password_changed"


class PasswordResetComplete(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"reset_token": "mR3k0xS1f9...", "password": "a new long passphrase"}]
        }
    )

    reset_token: Annotated[str, Field(min_length=1, max_length=200)]
    password: NewPassword
