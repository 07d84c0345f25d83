"""Every API of the platform in one FastAPI app, as `make run` serves it."""

from meetings.api.app import create_app
from meetings.manager.app import ROUTERS as MANAGER_ROUTERS
from meetings.manager.knowledge.search_routes import router as knowledge_search_router
from meetings.notifications.openapi import document_webhooks
from meetings.secretary.app import ROUTERS as SECRETARY_ROUTERS
from meetings.secretary.webhooks.app import ROUTERS as WEBHOOK_ROUTERS

app = create_app(
    "Meetings platform (local)",
    [*MANAGER_ROUTERS, knowledge_search_router, *SECRETARY_ROUTERS, *WEBHOOK_ROUTERS],
    description="Manager, secretary and webhook APIs mounted together for local development.",
    one_request_at_a_time=False,  # uvicorn answers concurrent requests: sync routes keep worker threads
)
document_webhooks(app)
