"""The secretary (meetings) API: the FastAPI app behind the secretary Lambda."""

from meetings.api.app import create_app
from meetings.secretary.consent.routes import router as consent_router
from meetings.secretary.events.routes import router as events_router
from meetings.secretary.joinpage.routes import router as joinpage_router
from meetings.secretary.joins.routes import router as joins_router
from meetings.secretary.joins.waiting_routes import router as waiting_router
from meetings.secretary.notes.routes import router as notes_router
from meetings.secretary.participants.routes import router as participants_router
from meetings.secretary.recordings.routes import router as recordings_router
from meetings.secretary.retention.routes import router as retention_router
from meetings.secretary.rooms.routes import router as rooms_router
from meetings.secretary.transcripts.routes import router as transcripts_router

ROUTERS = [
    rooms_router,
    participants_router,
    joins_router,
    waiting_router,
    consent_router,
    recordings_router,
    events_router,
    transcripts_router,
    notes_router,
    retention_router,
    joinpage_router,
]

app = create_app("Meetings secretary API", ROUTERS, description="Rooms, participants, joins, recordings.")
