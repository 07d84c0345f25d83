"""The manager (backoffice) API: the FastAPI app behind the manager Lambda."""

from meetings.api.app import create_app
from meetings.manager.auth.routes import router as auth_router
from meetings.manager.consent.routes import router as consent_router
from meetings.manager.departments.routes import router as departments_router
from meetings.manager.entities.routes import router as entities_router
from meetings.manager.knowledge.routes import router as knowledge_router
from meetings.manager.note_templates.routes import router as note_templates_router
from meetings.manager.professionals.routes import router as professionals_router
from meetings.manager.usage.routes import router as usage_router
from meetings.manager.users.routes import router as users_router
from meetings.notifications.openapi import document_webhooks
from meetings.notifications.routes import router as webhook_endpoints_router

ROUTERS = [
    auth_router,
    users_router,
    entities_router,
    consent_router,
    departments_router,
    professionals_router,
    knowledge_router,
    note_templates_router,
    usage_router,
    webhook_endpoints_router,
]

app = create_app("Meetings manager API", ROUTERS, description="Backoffice: organizations, people, usage.")
document_webhooks(app)
