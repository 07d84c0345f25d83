"""The secretary (meetings) API: the FastAPI app behind the secretary Lambda. Each router is imported at
the first request to its paths (meetings.api.route_groups), so a cold start imports none of them."""

from meetings.api.app import create_app
from meetings.api.route_groups import RouteGroup

ROOM = "/v1/rooms/{room_id}"
ROUTE_GROUPS = [
    RouteGroup(("/v1/rooms",), "meetings.secretary.rooms.routes"),
    RouteGroup(("/v1/participants", f"{ROOM}/participants"), "meetings.secretary.participants.routes"),
    RouteGroup(("/v1/join",), "meetings.secretary.joins.routes"),
    RouteGroup((f"{ROOM}/participants", f"{ROOM}/waiting"), "meetings.secretary.joins.waiting_routes"),
    RouteGroup((f"{ROOM}/consents",), "meetings.secretary.consent.routes"),
    RouteGroup(("/v1/recordings", f"{ROOM}/recordings"), "meetings.secretary.recordings.routes"),
    RouteGroup((f"{ROOM}/agent-events", f"{ROOM}/events"), "meetings.secretary.events.routes"),
    RouteGroup((f"{ROOM}/transcript",), "meetings.secretary.transcripts.routes"),
    RouteGroup((f"{ROOM}/note",), "meetings.secretary.notes.routes"),
    RouteGroup((f"{ROOM}/retention-receipts",), "meetings.secretary.retention.routes"),
    RouteGroup(("/join-assets", "/join"), "meetings.secretary.joinpage.routes"),
]

app = create_app(
    "Meetings secretary API", groups=ROUTE_GROUPS, description="Rooms, participants, joins, recordings."
)
