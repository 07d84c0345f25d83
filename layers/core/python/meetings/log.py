"""Structured JSON logs through Powertools: one logger for the whole package, and what a log line may
keep of an exception."""

import functools
import logging
import os
import traceback

from aws_lambda_powertools import Logger

logger = Logger(
    service=os.environ.get("POWERTOOLS_SERVICE_NAME", "meetings"),
    level=os.environ.get("LOG_LEVEL", "INFO"),
)

# A failure's innermost frames of this project's code, then the frame that raised (often a library's).
FAILURE_FRAMES = 6
_STANDARD_LIBRARY = os.path.dirname(os.__file__)
_PACKAGE = os.path.dirname(os.path.abspath(__file__))
# Where the package is installed; on Lambda the dependencies' layer unpacks there too (/opt/python).
_PACKAGE_PARENT = os.path.dirname(_PACKAGE)


def failure(exc: BaseException) -> dict:
    """What the logs keep of an exception: its type, the SQLSTATE and constraint a database error names,
    and where it was raised (each frame's file, line and function). Never its message: a database
    error's DETAIL repeats the failing row or key, a validation error its input, an HTTP error its URL,
    and any of those can be a person's words."""
    frames = traceback.extract_tb(exc.__traceback__)
    chosen = [frame for frame in frames if not _library_file(frame.filename)][-FAILURE_FRAMES:]
    if frames and (not chosen or chosen[-1] is not frames[-1]):
        chosen.append(frames[-1])
    described = {
        "error_type": type(exc).__name__,
        "where": [f"{os.path.basename(frame.filename)}:{frame.lineno} {frame.name}" for frame in chosen],
    }
    cause = getattr(exc, "orig", None) or exc.__cause__
    if cause is not None:
        described["error_cause"] = type(cause).__name__
    database_error = cause if hasattr(cause, "sqlstate") else exc
    if getattr(database_error, "sqlstate", None):
        described["sqlstate"] = database_error.sqlstate
        constraint = getattr(getattr(database_error, "diag", None), "constraint_name", None)
        if constraint:
            described["constraint"] = constraint
    return described


def _library_file(filename: str) -> bool:
    if filename.startswith(_PACKAGE_PARENT + os.sep):
        return not filename.startswith(_PACKAGE + os.sep)
    return "site-packages" in filename or filename.startswith(_STANDARD_LIBRARY)


class _WithoutExceptionText(logging.Filter):
    """Drops a record's exception (message and traceback) and keeps the line."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info, record.exc_text = None, None
        return True


def quiet_mangum() -> None:
    """Mangum logs each request's path at INFO (a magic link's token is in its path) and re-logs an
    unhandled error with its message, after the app's own handler logged it with `failure`: only its
    warnings and errors are kept, without the exception's text."""
    logging.getLogger("mangum").setLevel(logging.WARNING)  # its children inherit the level
    for name in ("mangum", "mangum.http"):  # a logger's filters apply to its own records only
        mangum = logging.getLogger(name)
        if not any(isinstance(existing, _WithoutExceptionText) for existing in mangum.filters):
            mangum.addFilter(_WithoutExceptionText())


class JobFailed(Exception):
    """What a job's entry point raises for any failure (`raises_without_values`): the original's type."""


def raises_without_values(handler):
    """A job's Lambda entry point whose failures reach Lambda's log as their type and place only.

    Lambda's runtime prints the message and stack of what a handler raises, and a database error's
    message can repeat the row it refused. The failure is logged here with `failure` and raised again
    as `JobFailed(<type>)`, without its cause: the invocation still fails, so Lambda retries it and its
    dead-letter queue and alarm see it as before."""

    @functools.wraps(handler)
    def entry_point(event, context):
        try:
            return handler(event, context)
        except Exception as exc:
            described = failure(exc)
            logger.error("job failed", extra=described)
            raise JobFailed(described["error_type"]) from None

    return entry_point
