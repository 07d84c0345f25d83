"""Builds a FastAPI application from domain routers, with the shared error handling and /health."""

from collections.abc import Iterable

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from meetings.api.errors import ErrorResponse, error_body, install_error_handlers
from meetings.db import get_engine
from meetings.log import logger


def create_app(title: str, routers: Iterable[APIRouter], *, description: str = "") -> FastAPI:
    app = FastAPI(title=title, description=description, version="1.0.0")
    install_error_handlers(app)
    _document_error_bodies(app)
    for router in routers:
        app.include_router(router)

    @app.get("/health", tags=["health"], summary="Liveness and database check")
    def health() -> JSONResponse:
        try:
            with get_engine().connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:  # the answer is the report
            logger.warning("health check failed", extra={"error_type": type(exc).__name__})
            return JSONResponse(
                error_body("database_unavailable", "The database is not reachable."), status_code=503
            )
        return JSONResponse({"status": "ok", "database": "ok"})

    return app


def _document_error_bodies(app: FastAPI) -> None:
    """Every 4xx/5xx answer in /openapi.json shows the real error body, not FastAPI's default."""
    build_schema = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build_schema()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        error_schema = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(error_schema.pop("$defs", {}))
        schemas["ErrorResponse"] = error_schema
        for schemas_name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(schemas_name, None)
        error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    if status[:1] in ("4", "5"):
                        response["content"] = error_content
        app.openapi_schema = schema
        return schema

    app.openapi = openapi
