"""Manager (backoffice) API Lambda: API Gateway HTTP API events into the FastAPI app."""

from meetings.init_phase import collector_paused

with collector_paused():
    from mangum import Mangum

    from meetings.manager.app import app
    from meetings.snapshot import register_snapshot_hooks

handler = Mangum(app, lifespan="off")
register_snapshot_hooks(handler)  # SnapStart: primed once per version, state forgotten on restore
