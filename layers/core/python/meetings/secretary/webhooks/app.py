"""The LiveKit webhook receiver: the FastAPI app behind the webhook Lambda."""

from meetings.api.app import create_app
from meetings.secretary.webhooks.routes import router

ROUTERS = [router]

app = create_app("Meetings LiveKit webhooks", ROUTERS)
