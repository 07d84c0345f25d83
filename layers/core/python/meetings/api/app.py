"""Builds a FastAPI application from domain routers, with the shared error handling and /health."""

from collections.abc import Iterable

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from meetings.api.errors import error_body, install_error_handlers
from meetings.api.fastapi_startup import skip_needless_pydantic_v1_import
from meetings.api.headers import SecurityHeaders
from meetings.api.inline_routes import served_inline
from meetings.api.openapi import document_responses
from meetings.api.route_groups import RouteGroup, mount_route_groups
from meetings.db import get_engine
from meetings.log import logger, quiet_mangum

skip_needless_pydantic_v1_import()


def create_app(
    title: str,
    routers: Iterable[APIRouter] = (),
    *,
    groups: Iterable[RouteGroup] = (),
    description: str = "",
    one_request_at_a_time: bool = True,
) -> FastAPI:
    """An app of the routers, then of the route groups, each included at the first request to its
    paths (meetings.api.route_groups); `one_request_at_a_time` (a Lambda container) calls sync routes on
    the event loop instead of a worker thread (meetings.api.inline_routes)."""
    app = FastAPI(title=title, description=description, version="1.0.0")
    app.state.one_request_at_a_time = one_request_at_a_time
    if one_request_at_a_time:  # served by Mangum in a Lambda container
        quiet_mangum()
    app.add_middleware(SecurityHeaders)
    install_error_handlers(app)
    document_responses(app)
    health_router = APIRouter()

    @health_router.get(
        "/health",
        tags=["health"],
        summary="Liveness and database check",
        responses={503: {"description": "`database_unavailable`"}},
    )
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

    prepare = served_inline if one_request_at_a_time else _as_it_is
    for router in routers:
        app.include_router(prepare(router))
    mount_route_groups(app, groups, prepare)
    app.include_router(prepare(health_router))
    return app


def _as_it_is(router: APIRouter) -> APIRouter:
    return router
