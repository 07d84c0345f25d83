"""The secretary (meetings) API: the FastAPI app behind the secretary Lambda. Each router is imported at
the first request to its paths (meetings.api.route_groups), so a cold start imports none of them."""

from fastapi import APIRouter

from meetings.api.app import create_app
from meetings.api.route_groups import RouteGroup


def _rooms() -> APIRouter:
    from meetings.secretary.rooms.routes import router

    return router


def _participants() -> APIRouter:
    from meetings.secretary.participants.routes import router

    return router


def _joins() -> APIRouter:
    from meetings.secretary.joins.routes import router

    return router


def _waiting() -> APIRouter:
    from meetings.secretary.joins.waiting_routes import router

    return router


def _consent() -> APIRouter:
    from meetings.secretary.consent.routes import router

    return router


def _recordings() -> APIRouter:
    from meetings.secretary.recordings.routes import router

    return router


def _events() -> APIRouter:
    from meetings.secretary.events.routes import router

    return router


def _transcripts() -> APIRouter:
    from meetings.secretary.transcripts.routes import router

    return router


def _notes() -> APIRouter:
    from meetings.secretary.notes.routes import router

    return router


def _retention() -> APIRouter:
    from meetings.secretary.retention.routes import router

    return router


def _joinpage() -> APIRouter:
    from meetings.secretary.joinpage.routes import router

    return router


ROOM = "/v1/rooms/{room_id}"
ROUTE_GROUPS = [
    RouteGroup(("/v1/rooms",), _rooms),
    RouteGroup(("/v1/participants", f"{ROOM}/participants"), _participants),
    RouteGroup(("/v1/join",), _joins),
    RouteGroup((f"{ROOM}/participants", f"{ROOM}/waiting"), _waiting),
    RouteGroup((f"{ROOM}/consents",), _consent),
    RouteGroup(("/v1/recordings", f"{ROOM}/recordings"), _recordings),
    RouteGroup((f"{ROOM}/agent-events", f"{ROOM}/events"), _events),
    RouteGroup((f"{ROOM}/transcript",), _transcripts),
    RouteGroup((f"{ROOM}/note",), _notes),
    RouteGroup((f"{ROOM}/retention-receipts",), _retention),
    RouteGroup(("/join-assets", "/join"), _joinpage),
]

app = create_app(
    "Meetings secretary API", groups=ROUTE_GROUPS, description="Rooms, participants, joins, recordings."
)
