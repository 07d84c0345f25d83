"""Login request and answer."""

from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

from meetings.manager.users.schemas import UserOut, within_bcrypt_limit
from meetings.validation import EmailAddress, RequestModel, ResponseModel

PasswordInput = Annotated[
    str, StringConstraints(strip_whitespace=False), Field(min_length=1), AfterValidator(within_bcrypt_limit)
]


class LoginRequest(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"email": "manager@demo.example.com", "password": "s3cret-passw0rd"}]}
    )

    email: EmailAddress
    password: PasswordInput


class TokenOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...",
                    "token_type": "bearer",
                    "expires_in": 900,
                    "user": {
                        "id": 1,
                        "email": "manager@demo.example.com",
                        "phone_number": "+5511999990000",
                        "role": "MANAGER",
                        "entity_id": None,
                        "active": True,
                        "created_at": "2026-11-26T04:00:00Z",
                        "updated_at": "2026-11-26T04:00:00Z",
                    },
                }
            ]
        }
    )

    access_token: str = Field(repr=False)
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    user: UserOut
