"""Manager (backoffice) API Lambda: API Gateway HTTP API events into the FastAPI app."""

from meetings.init_phase import collector_paused

with collector_paused():
    from mangum import Mangum

    from meetings.manager.app import app

handler = Mangum(app, lifespan="off")
