"""LiveKit webhook Lambda: POST /v1/webhooks/livekit behind API Gateway."""

from meetings.init_phase import collector_paused

with collector_paused():
    from mangum import Mangum

    from meetings.secretary.webhooks.app import app

handler = Mangum(app, lifespan="off")
