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


class Locked(DomainError):
    status_code = 423
    code = "locked"


class TooManyRequests(DomainError):
    status_code = 429
    code = "too_many_requests"


class UpstreamUnavailable(DomainError):
    status_code = 502
    code = "upstream_unavailable"
