"""Domain errors: plain exceptions that services raise; the API maps them to HTTP in one place."""

from typing import Any


class DomainError(Exception):
    """Base of every error a use case reports to its caller."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    @property
    def headers(self) -> dict[str, str] | None:
        """HTTP headers the answer carries besides the error body."""
        return None


class BadRequest(DomainError):
    status_code = 400
    code = "bad_request"


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Gone(DomainError):
    status_code = 410
    code = "gone"


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(DomainError):
    status_code = 415
    code = "unsupported_media_type"


class ValidationFailed(DomainError):
    status_code = 422
    code = "validation_failed"

    @classmethod
    def for_field(cls, field: str, code: str, message: str) -> "ValidationFailed":
        """One field's error, in the same shape as a request that fails schema validation."""
        return cls(message, details=[{"field": field, "code": code, "message": message}])


class Locked(DomainError):
    status_code = 423
    code = "locked"


class TooManyRequests(DomainError):
    """Carries `retry_after_seconds` in its details, answered as a Retry-After header."""

    status_code = 429
    code = "too_many_requests"

    @property
    def headers(self) -> dict[str, str] | None:
        if isinstance(self.details, dict) and "retry_after_seconds" in self.details:
            return {"Retry-After": str(self.details["retry_after_seconds"])}
        return None


class UpstreamUnavailable(DomainError):
    status_code = 502
    code = "upstream_unavailable"
