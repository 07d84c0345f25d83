"""Bounded input types shared by every request schema and path/query parameter: row ids within their
column type, text PostgreSQL can store, times within a sane range, E.164 phones and email addresses."""

from datetime import UTC, datetime
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

# Every serial id is a PostgreSQL `integer`: a value outside 1..2^31-1 names no row.
ID_MIN, ID_MAX = 1, 2**31 - 1
# Offset pagination scans the skipped rows; no list of one tenant comes near this many.
MAX_OFFSET = 1_000_000
# Times a meeting, a report or a filter can sensibly name; also keeps date arithmetic from overflowing.
TIME_MIN = datetime(2000, 1, 1, tzinfo=UTC)
TIME_MAX = datetime(2100, 1, 1, tzinfo=UTC)

# Error types that mean "this value cannot name a stored row": answered as 404 in a path.
OUT_OF_RANGE_ERRORS = frozenset(
    {"greater_than_equal", "less_than_equal", "string_too_long", "text_not_storable"}
)


def storable_text(value: str) -> str:
    """PostgreSQL text holds neither NUL characters nor lone UTF-16 surrogates."""
    if "\x00" in value:
        raise PydanticCustomError("text_not_storable", "Text must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise PydanticCustomError("text_not_storable", "Text must be valid Unicode.") from exc
    return value


def within_time_range(value: datetime) -> datetime:
    """Times without an offset are UTC; anything outside 2000..2100 is refused."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if not TIME_MIN <= value < TIME_MAX:
        raise PydanticCustomError(
            "time_out_of_range",
            "Time must be between {min} and {max}.",
            {"min": TIME_MIN.isoformat(), "max": TIME_MAX.isoformat()},
        )
    return value


RowId = Annotated[int, Field(ge=ID_MIN, le=ID_MAX)]
Text = Annotated[str, AfterValidator(storable_text)]
Timestamp = Annotated[datetime, AfterValidator(within_time_range)]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]


def bounded_text(max_length: int, *, min_length: int = 0) -> Any:
    """Text of at most `max_length` characters (the column's limit) that the database can store."""
    return Annotated[
        str, StringConstraints(min_length=min_length, max_length=max_length), AfterValidator(storable_text)
    ]


def _first_unstorable(value: Any, path: tuple = ()) -> tuple | None:
    if isinstance(value, str):
        try:
            storable_text(value)
        except PydanticCustomError:
            return path
    elif isinstance(value, dict):
        for key, item in value.items():
            found = _first_unstorable(key, path) or _first_unstorable(item, (*path, key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_unstorable(item, (*path, index))
            if found is not None:
                return found
    return None


def normalize_e164(value: str) -> str:
    """Accepts a phone number already in E.164 form (+ and country code) and returns it canonical."""
    import phonenumbers  # at the first phone to check, not in every API function's cold start (~15 ms)

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

    @model_validator(mode="before")
    @classmethod
    def _storable_strings(cls, data: Any) -> Any:
        """Every string of a body, nested ones included, must be storable text."""
        path = _first_unstorable(data)
        if path is not None:
            raise PydanticCustomError(
                "text_not_storable",
                "Text must not contain NUL characters or invalid Unicode (at {field}).",
                {"field": ".".join(str(part) for part in path) or "body"},
            )
        return data


class ResponseModel(BaseModel):
    """Base of response bodies, built from ORM rows."""

    model_config = ConfigDict(from_attributes=True)
