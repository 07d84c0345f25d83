"""Field types shared by request schemas: E.164 phone numbers and RFC 5322 email addresses."""

from typing import Annotated

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic_core import PydanticCustomError


def normalize_e164(value: str) -> str:
    """Accepts a phone number already in E.164 form (+ and country code) and returns it canonical."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise PydanticCustomError(
            "invalid_phone_number", "Phone number must be in E.164 format, e.g. +5511987654321."
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise PydanticCustomError("invalid_phone_number", "Phone number is not a valid number.")
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if value.strip() != formatted:
        raise PydanticCustomError(
            "invalid_phone_number",
            "Phone number must be in E.164 format, e.g. {expected}.",
            {"expected": formatted},
        )
    return formatted


def normalize_email(value: str) -> str:
    """Validates an email address's syntax (no DNS lookup) and returns it normalized."""
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise PydanticCustomError(
            "invalid_email", "Email address is not valid: {reason}", {"reason": str(exc)}
        ) from exc
    return result.normalized.lower()


PhoneNumber = Annotated[str, AfterValidator(normalize_e164)]
EmailAddress = Annotated[str, AfterValidator(normalize_email)]


class RequestModel(BaseModel):
    """Base of request bodies: unknown fields are rejected."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseModel(BaseModel):
    """Base of response bodies, built from ORM rows."""

    model_config = ConfigDict(from_attributes=True)
