"""The one place where errors become HTTP answers: `{"error": {"code", "message", "details"}}`."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg import errors as pg_errors
from pydantic import BaseModel
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from meetings.api.headers import HSTS, NO_STORE
from meetings.api.route_groups import include_every_group
from meetings.errors import Conflict, DomainError, NotFound, ValidationFailed
from meetings.log import failure, logger
from meetings.validation import OUT_OF_RANGE_ERRORS

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}

# Database constraint name -> the domain error a client should see when a row breaks it.
CONSTRAINT_ERRORS: dict[str, DomainError] = {}


def register_constraint_error(constraint: str, error: DomainError) -> None:
    """Declares the answer for a constraint violation (unique name taken, wrong department...)."""
    CONSTRAINT_ERRORS[constraint] = error


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    """The body of every error answer."""

    error: ErrorDetail


def error_body(code: str, message: str, details: Any = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details}}


def _field_errors(exc: RequestValidationError) -> list[dict]:
    details = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if part not in ("body",)]
        details.append(
            {
                "field": ".".join(location) or None,
                "code": error.get("type", "invalid"),
                "message": error.get("msg", "Invalid value."),
            }
        )
    return details


def _row_not_found(exc: RequestValidationError) -> DomainError | None:
    """A path value beyond its column's range names no row: it gets the answer a missing one gets."""
    for error in exc.errors():
        location = error.get("loc", ())
        if location[:1] == ("path",) and len(location) > 1 and error.get("type") in OUT_OF_RANGE_ERRORS:
            resource = "link" if location[1] == "token" else str(location[1]).removesuffix("_id")
            return NotFound(f"{resource.capitalize()} not found.", code=f"{resource}_not_found")
    return None


def _constraint(exc: IntegrityError) -> str | None:
    return getattr(getattr(exc.orig, "diag", None), "constraint_name", None)


def _integrity_error(exc: IntegrityError) -> DomainError:
    cause = exc.orig
    constraint = _constraint(exc)
    if constraint in CONSTRAINT_ERRORS:
        return CONSTRAINT_ERRORS[constraint]
    details = {"constraint": constraint}
    if isinstance(cause, pg_errors.UniqueViolation):
        return Conflict(
            "A record with the same unique value already exists.", code="duplicate", details=details
        )
    if isinstance(cause, pg_errors.ForeignKeyViolation):
        return ValidationFailed(
            "A referenced record does not exist or does not belong here.",
            code="invalid_reference",
            details=details,
        )
    return ValidationFailed("The request breaks a data rule.", code="constraint_violated", details=details)


def _answer(error: DomainError) -> JSONResponse:
    return JSONResponse(
        error_body(error.code, error.message, error.details),
        status_code=error.status_code,
        headers=error.headers,
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        return _answer(exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        not_found = _row_not_found(exc)
        if not_found is not None:
            return _answer(not_found)
        return JSONResponse(
            error_body("validation_failed", "The request is not valid.", _field_errors(exc)),
            status_code=422,
        )

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
        if _constraint(exc) not in CONSTRAINT_ERRORS:  # its mapping may sit beside a route not yet loaded
            include_every_group(request.app)
        return _answer(_integrity_error(exc))

    @app.exception_handler(OperationalError)
    async def database_unavailable(_: Request, exc: OperationalError) -> JSONResponse:
        logger.warning("database unavailable", extra={"error_type": type(exc.orig).__name__})
        return JSONResponse(
            error_body("database_unavailable", "The database is not reachable; try again."),
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(DataError)
    @app.exception_handler(pg_errors.DataError)  # from the reads that run on the driver connection
    async def value_refused(_: Request, exc: DataError | pg_errors.DataError) -> JSONResponse:
        # The bounded input types should make this unreachable; the database is the last line.
        cause = exc.orig if isinstance(exc, DataError) else exc
        logger.warning("value refused by the database", extra={"error_type": type(cause).__name__})
        return JSONResponse(
            error_body("invalid_value", "A value is outside what can be stored."), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else "Request failed."
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected_error(_: Request, exc: Exception) -> JSONResponse:
        logger.error("unhandled error", extra=failure(exc))
        # Answered outside the app's middleware, so it carries the security headers itself.
        return JSONResponse(
            error_body("internal_error", "Something went wrong on our side."),
            status_code=500,
            headers={"Strict-Transport-Security": HSTS, "X-Content-Type-Options": "nosniff", **NO_STORE},
        )
