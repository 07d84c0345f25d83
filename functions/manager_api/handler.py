"""Manager (backoffice) API Lambda: API Gateway HTTP API events into the FastAPI app."""

from mangum import Mangum

from meetings.manager.app import app

handler = Mangum(app, lifespan="off")
