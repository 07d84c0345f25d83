"""LiveKit webhook Lambda: POST /v1/webhooks/livekit behind API Gateway."""

from mangum import Mangum

from meetings.secretary.webhooks.app import app

handler = Mangum(app, lifespan="off")
