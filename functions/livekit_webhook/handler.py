"""LiveKit webhook Lambda: POST /v1/webhooks/livekit behind API Gateway."""

from meetings.init_phase import collector_paused

with collector_paused():
    from mangum import Mangum

    from meetings.secretary.webhooks.app import app
    from meetings.snapshot import register_snapshot_hooks

handler = Mangum(app, lifespan="off")
register_snapshot_hooks(handler)  # SnapStart: primed once per version, state forgotten on restore
