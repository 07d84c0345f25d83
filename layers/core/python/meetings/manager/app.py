"""The manager (backoffice) API: the FastAPI app behind the manager Lambda. Each router is imported at the
first request to its paths (meetings.api.route_groups), so a cold start imports none of them."""

from fastapi import APIRouter

from meetings.api.app import create_app
from meetings.api.route_groups import RouteGroup
from meetings.notifications.openapi import document_webhooks


def _auth() -> APIRouter:
    from meetings.manager.auth.routes import router

    return router


def _users() -> APIRouter:
    from meetings.manager.users.routes import router

    return router


def _entities() -> APIRouter:
    from meetings.manager.entities.routes import router

    return router


def _consent() -> APIRouter:
    from meetings.manager.consent.routes import router

    return router


def _departments() -> APIRouter:
    from meetings.manager.departments.routes import router

    return router


def _professionals() -> APIRouter:
    from meetings.manager.professionals.routes import router

    return router


def _knowledge() -> APIRouter:
    from meetings.manager.knowledge.routes import router

    return router


def _note_templates() -> APIRouter:
    from meetings.manager.note_templates.routes import router

    return router


def _usage() -> APIRouter:
    from meetings.manager.usage.routes import router

    return router


def _webhook_endpoints() -> APIRouter:
    from meetings.notifications.routes import router

    return router


ENTITY = "/v1/entities/{entity_id}"
ROUTE_GROUPS = [
    RouteGroup(("/v1/auth",), _auth),
    RouteGroup(("/v1/users",), _users),
    RouteGroup(("/v1/entities",), _entities),
    RouteGroup((f"{ENTITY}/consent-texts",), _consent),
    RouteGroup(("/v1/departments", f"{ENTITY}/departments"), _departments),
    RouteGroup(("/v1/professionals",), _professionals),
    RouteGroup((f"{ENTITY}/knowledge-base",), _knowledge),
    RouteGroup((f"{ENTITY}/note-templates",), _note_templates),
    RouteGroup(("/v1/usage",), _usage),
    RouteGroup((f"{ENTITY}/webhook-endpoints",), _webhook_endpoints),
]

app = create_app(
    "Meetings manager API", groups=ROUTE_GROUPS, description="Backoffice: organizations, people, usage."
)
document_webhooks(app)
