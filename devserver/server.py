"""Every API of the platform in one FastAPI app, as `make run` serves it: every router included at once,
none on first request (meetings.api.route_groups), in the order the Lambda apps give them."""

from meetings.api.app import create_app
from meetings.manager.app import ROUTE_GROUPS as MANAGER_GROUPS
from meetings.manager.knowledge.search_routes import router as knowledge_search_router
from meetings.notifications.openapi import document_webhooks
from meetings.secretary.app import ROUTE_GROUPS as SECRETARY_GROUPS
from meetings.secretary.webhooks.app import ROUTERS as WEBHOOK_ROUTERS

app = create_app(
    "Meetings platform (local)",
    [
        *(group.load() for group in MANAGER_GROUPS),
        knowledge_search_router,
        *(group.load() for group in SECRETARY_GROUPS),
        *WEBHOOK_ROUTERS,
    ],
    description="Manager, secretary and webhook APIs mounted together for local development.",
    one_request_at_a_time=False,  # uvicorn answers concurrent requests: sync routes keep worker threads
)
document_webhooks(app)
