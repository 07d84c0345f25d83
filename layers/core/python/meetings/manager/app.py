"""The manager (backoffice) API: the FastAPI app behind the manager Lambda. Each router is imported at the
first request to its paths (meetings.api.route_groups), so a cold start imports none of them."""

from meetings.api.app import create_app
from meetings.api.route_groups import RouteGroup
from meetings.notifications.openapi import document_webhooks

ENTITY = "/v1/entities/{entity_id}"
ROUTE_GROUPS = [
    RouteGroup(("/v1/auth",), "meetings.manager.auth.routes"),
    RouteGroup(("/v1/users",), "meetings.manager.users.routes"),
    RouteGroup(("/v1/entities",), "meetings.manager.entities.routes"),
    RouteGroup((f"{ENTITY}/consent-texts",), "meetings.manager.consent.routes"),
    RouteGroup(("/v1/departments", f"{ENTITY}/departments"), "meetings.manager.departments.routes"),
    RouteGroup(("/v1/professionals",), "meetings.manager.professionals.routes"),
    RouteGroup((f"{ENTITY}/knowledge-base",), "meetings.manager.knowledge.routes"),
    RouteGroup((f"{ENTITY}/note-templates",), "meetings.manager.note_templates.routes"),
    RouteGroup(("/v1/usage",), "meetings.manager.usage.routes"),
    RouteGroup((f"{ENTITY}/webhook-endpoints",), "meetings.notifications.routes"),
]

app = create_app(
    "Meetings manager API", groups=ROUTE_GROUPS, description="Backoffice: organizations, people, usage."
)
document_webhooks(app)
