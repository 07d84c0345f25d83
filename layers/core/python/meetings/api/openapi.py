"""What each operation can answer, written into /openapi.json once, from what its route depends on.

A dependency declares the errors it raises (`declare_errors`): the backoffice principal 401/403, the
database session 503, the LiveKit gateway 502. From the route itself: path parameters can name no row
(404) and any parameter or body can be invalid (422). Routers add what their use cases raise besides
(409 conflicts, 429 throttles...) with FastAPI's `responses=`. Every 4xx/5xx carries the error body.
"""

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from meetings.api.database import request_transaction
from meetings.api.errors import ErrorResponse
from meetings.livekit import get_livekit

DEPENDENCY_ERRORS: dict[Any, dict[int, str]] = {}

NOT_FOUND = "The resource does not exist, or belongs to another entity."
UNREADABLE = "`bad_request`: the body could not be read (not UTF-8, or not the declared encoding)."
INVALID = "`validation_failed`: the request is not valid; `details` lists each field's error."


def declare_errors(dependency: Callable, errors: dict[int, str]) -> None:
    """Declares the error statuses (with a description) a dependency can answer."""
    DEPENDENCY_ERRORS.setdefault(dependency, {}).update(errors)


declare_errors(
    request_transaction, {503: "`database_unavailable`: the database is not reachable; try again."}
)
declare_errors(get_livekit, {502: "`livekit_unavailable`: LiveKit did not answer or refused the call."})


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for dependency in dependant.dependencies:
        yield dependency
        yield from _dependencies(dependency)


def route_errors(route: Any) -> dict[int, str]:
    """The error statuses a route can answer, beyond those its router declares."""
    dependants = [route.dependant, *_dependencies(route.dependant)]
    errors: dict[int, str] = {}
    for dependant in dependants[1:]:
        errors.update(DEPENDENCY_ERRORS.get(dependant.call, {}))
    if any(dependant.path_params for dependant in dependants):
        errors[404] = NOT_FOUND
    has_body = route.body_field is not None or "requestBody" in (route.openapi_extra or {})
    if has_body:
        errors[400] = UNREADABLE
    if has_body or any(
        dependant.path_params or dependant.query_params or dependant.header_params for dependant in dependants
    ):
        errors[422] = INVALID
    return errors


def document_responses(app: FastAPI) -> None:
    """Makes /openapi.json list every status each operation can answer, errors with their body."""
    build_schema = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build_schema()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        error_schema = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(error_schema.pop("$defs", {}))
        schemas["ErrorResponse"] = error_schema
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        # Included routers are resolved lazily: their routes (with the router's own dependencies merged)
        # are reached through route contexts, as FastAPI's own schema builder reaches them.
        for route in routing.iter_route_contexts(app.routes):
            if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
                continue
            errors = route_errors(route)
            for method in route.methods:
                operation = schema["paths"][route.path_format].get(method.lower())
                if operation is None:
                    continue
                responses = operation.setdefault("responses", {})
                for status, description in errors.items():
                    responses.setdefault(str(status), {"description": description})
                operation["responses"] = dict(sorted(responses.items()))
        error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    if status[:1] in ("4", "5"):
                        response["content"] = error_content
        app.openapi_schema = schema
        return schema

    app.openapi = openapi
