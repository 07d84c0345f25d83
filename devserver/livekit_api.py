"""A local stand-in for the LiveKit server API (Twirp over HTTP), for `make run`, tests and benchmarks.

It speaks the same wire protocol as LiveKit: `POST /twirp/livekit.<Service>/<Method>` with a protobuf
body (`application/protobuf`), an `authorization: Bearer <JWT>` header signed with the API key and
secret, protobuf answers, and Twirp JSON errors `{"code", "msg"}` with a 4xx/5xx status. Requests are
decoded with the real `livekit.protocol` classes, so a test exercises the real `livekit.api` client.

Usage (the `livekit_server` pytest fixture in `tests/support/fixtures.py` does this and points the
settings at it):

    with LiveKitStandIn(api_key="test-key", api_secret="test-secret-...") as server:
        server.url                      # "http://127.0.0.1:<port>" -> LIVEKIT_URL
        ...                             # call LiveKitAPI(server.url, key, secret)
        server.calls                    # [("CreateRoom", CreateRoomRequest(...)), ...]
        server.method_calls("CreateDispatch")   # the decoded requests of one method
        server.fail_next("StartRoomCompositeEgress", status=503, code="unavailable")
        server.rooms                    # {name: livekit.protocol.models.Room}
        server.add_participant("meeting-x", "participant-7", name="Ana")   # someone connected
        server.participants             # {room name: {identity: ParticipantInfo}}
        server.egresses                 # {"EG_...": EgressInfo}
        server.dispatches               # {"AD_...": AgentDispatch}

Implemented methods and the grant each one needs (as the LiveKit server checks them):
- RoomService: CreateRoom (roomCreate; returns the existing room if the name exists), DeleteRoom
  (roomCreate; not_found for an unknown room), ListRooms (roomList), ListParticipants and
  RemoveParticipant (roomAdmin for that room; not_found for an unknown room or identity).
- AgentDispatchService: CreateDispatch, ListDispatch, DeleteDispatch (roomAdmin for that room).
- Egress: StartRoomCompositeEgress (roomRecord; not_found when the room does not exist, as the server
  loads the room first; answers EGRESS_STARTING with an id "EG_xxx"), StopEgress (roomRecord; EGRESS_ENDING;
  failed_precondition once ended), ListEgress (roomRecord; filters room_name, egress_id, active).
A missing or bad token answers 401 `unauthenticated`; a token without the grant 403 `permission_denied`.

It carries no media: `make run` starts it on 127.0.0.1:7880 when LIVEKIT_URL is unset and no LiveKit
server answers there, so the API flows (rooms, joins, dispatch, egress) work; a browser that tries to
connect to it gets the join page's "cannot reach the meeting server" state. Run `livekit-server --dev`
for real meetings. By hand: `python -m devserver.livekit_api --port 7880`.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from google.protobuf.message import DecodeError, Message
from livekit.api import TokenVerifier
from livekit.protocol import agent_dispatch as proto_dispatch
from livekit.protocol import egress as proto_egress
from livekit.protocol import models as proto_models
from livekit.protocol import room as proto_room

TWIRP_STATUS = {
    "invalid_argument": 400,
    "malformed": 400,
    "unauthenticated": 401,
    "permission_denied": 403,
    "not_found": 404,
    "bad_route": 404,
    "already_exists": 409,
    "failed_precondition": 412,
    "resource_exhausted": 429,
    "internal": 500,
    "unknown": 500,
    "unimplemented": 501,
    "unavailable": 503,
}


class TwirpError(Exception):
    """An error answered as Twirp JSON."""

    def __init__(self, code: str, msg: str, status: int | None = None) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status or TWIRP_STATUS.get(code, 500)


@dataclass(frozen=True)
class _Route:
    request_class: type[Message]
    grant: str  # the video grant the token must carry
    room_scoped: bool  # the grant must name the request's room
    handler: Callable[[Message], Message]


class LiveKitStandIn:
    """A threaded Twirp server on 127.0.0.1 (random port) that keeps rooms, participants, dispatches
    and egresses in memory. Thread-safe; start with `start()` or use it as a context manager."""

    def __init__(
        self,
        *,
        api_key: str = "test-api-key",
        api_secret: str = "test-api-secret-0123456789abcdef",
        port: int = 0,
    ):
        self.api_key = api_key
        self.api_secret = api_secret
        self._verifier = TokenVerifier(api_key, api_secret)
        self.calls: list[tuple[str, Message]] = []
        self.rooms: dict[str, proto_models.Room] = {}
        self.participants: dict[str, dict[str, proto_models.ParticipantInfo]] = defaultdict(dict)
        self.dispatches: dict[str, proto_dispatch.AgentDispatch] = {}
        self.egresses: dict[str, proto_egress.EgressInfo] = {}
        self._failures: dict[str, deque[TwirpError]] = defaultdict(deque)
        self._lock = threading.RLock()
        self._routes = self._build_routes()
        self._port = port  # 0: a free port
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------------------

    def start(self) -> LiveKitStandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, content_type, payload = stand_in._dispatch(
                    self.path, self.headers.get("Authorization"), self.headers.get("Content-Type"), body
                )
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="livekit-stand-in", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> LiveKitStandIn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._httpd is not None, "start() the stand-in first"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # ---- test controls ---------------------------------------------------------------------------

    def fail_next(
        self, method: str, *, status: int = 503, code: str = "unavailable", msg: str = "injected failure"
    ) -> None:
        """Makes the next call of `method` (e.g. "CreateRoom") answer this Twirp error; stackable."""
        with self._lock:
            self._failures[method].append(TwirpError(code, msg, status))

    def method_calls(self, method: str) -> list[Message]:
        """The decoded requests received for one method, in order."""
        with self._lock:
            return [request for name, request in self.calls if name == method]

    def ensure_room(self, name: str) -> proto_models.Room:
        """Creates a room in the server's state as if a participant had connected to it."""
        with self._lock:
            return self._create_room(proto_room.CreateRoomRequest(name=name))

    def add_participant(
        self, room: str, identity: str, *, name: str = "", kind: int = 0, attributes: dict | None = None
    ) -> proto_models.ParticipantInfo:
        """Puts a connected participant in a room (creating the room), as a client connection would."""
        with self._lock:
            self.ensure_room(room)
            info = proto_models.ParticipantInfo(
                sid=f"PA_{secrets.token_hex(6)}",
                identity=identity,
                name=name,
                state=proto_models.ParticipantInfo.ACTIVE,
                joined_at=int(time.time()),
                kind=kind,
                attributes=attributes or {},
            )
            self.participants[room][identity] = info
            return info

    def set_egress_status(self, egress_id: str, status: int) -> proto_egress.EgressInfo:
        """Moves an egress to a status (e.g. proto_egress.EGRESS_COMPLETE), as the egress worker would."""
        with self._lock:
            info = self.egresses[egress_id]
            info.status = status
            info.updated_at = time.time_ns()
            if status in (
                proto_egress.EGRESS_COMPLETE,
                proto_egress.EGRESS_FAILED,
                proto_egress.EGRESS_ABORTED,
            ):
                info.ended_at = time.time_ns()
            return info

    # ---- request handling ------------------------------------------------------------------------

    def _dispatch(
        self, path: str, authorization: str | None, content_type: str | None, body: bytes
    ) -> tuple[int, str, bytes]:
        prefix = "/twirp/livekit."
        service_method = path[len(prefix) :] if path.startswith(prefix) else ""
        method = service_method.split("/", 1)[1] if "/" in service_method else ""
        route = self._routes.get(service_method)
        try:
            if route is None:
                raise TwirpError("bad_route", f"no handler for path {path}")
            if (content_type or "").split(";")[0].strip() != "application/protobuf":
                raise TwirpError("malformed", f"unexpected Content-Type: {content_type}")
            try:
                request = route.request_class.FromString(body)
            except DecodeError as exc:
                raise TwirpError("malformed", f"could not decode request: {exc}") from exc
            self._check_auth(authorization, route, request)
            with self._lock:
                self.calls.append((method, request))
                if self._failures[method]:
                    raise self._failures[method].popleft()
                answer = route.handler(request)
            return 200, "application/protobuf", answer.SerializeToString()
        except TwirpError as error:
            payload = json.dumps({"code": error.code, "msg": error.msg}).encode()
            return error.status, "application/json", payload

    def _check_auth(self, authorization: str | None, route: _Route, request: Message) -> None:
        if not authorization or not authorization.startswith("Bearer "):
            raise TwirpError("unauthenticated", "missing authorization header")
        try:
            video = self._verifier.verify(authorization[len("Bearer ") :]).video
        except jwt.PyJWTError as exc:
            raise TwirpError("unauthenticated", f"invalid token: {exc}") from exc
        if not getattr(video, route.grant):
            raise TwirpError("permission_denied", f"token lacks the {route.grant} grant")
        if route.room_scoped and video.room != getattr(request, "room", None):
            raise TwirpError("permission_denied", "token is not for this room")

    def _build_routes(self) -> dict[str, _Route]:
        room, dispatch, egress = "RoomService", "AgentDispatchService", "Egress"
        return {
            f"{room}/CreateRoom": _Route(
                proto_room.CreateRoomRequest, "room_create", False, self._create_room
            ),
            f"{room}/DeleteRoom": _Route(
                proto_room.DeleteRoomRequest, "room_create", False, self._delete_room
            ),
            f"{room}/ListRooms": _Route(proto_room.ListRoomsRequest, "room_list", False, self._list_rooms),
            f"{room}/ListParticipants": _Route(
                proto_room.ListParticipantsRequest, "room_admin", True, self._list_participants
            ),
            f"{room}/RemoveParticipant": _Route(
                proto_room.RoomParticipantIdentity, "room_admin", True, self._remove_participant
            ),
            f"{room}/UpdateParticipant": _Route(
                proto_room.UpdateParticipantRequest, "room_admin", True, self._update_participant
            ),
            f"{dispatch}/CreateDispatch": _Route(
                proto_dispatch.CreateAgentDispatchRequest, "room_admin", True, self._create_dispatch
            ),
            f"{dispatch}/ListDispatch": _Route(
                proto_dispatch.ListAgentDispatchRequest, "room_admin", True, self._list_dispatch
            ),
            f"{dispatch}/DeleteDispatch": _Route(
                proto_dispatch.DeleteAgentDispatchRequest, "room_admin", True, self._delete_dispatch
            ),
            f"{egress}/StartRoomCompositeEgress": _Route(
                proto_egress.RoomCompositeEgressRequest, "room_record", False, self._start_room_composite
            ),
            f"{egress}/StopEgress": _Route(
                proto_egress.StopEgressRequest, "room_record", False, self._stop_egress
            ),
            f"{egress}/ListEgress": _Route(
                proto_egress.ListEgressRequest, "room_record", False, self._list_egress
            ),
        }

    # ---- RoomService -----------------------------------------------------------------------------

    def _create_room(self, request: proto_room.CreateRoomRequest) -> proto_models.Room:
        if not request.name:
            raise TwirpError("invalid_argument", "room name is required")
        existing = self.rooms.get(request.name)
        if existing is not None:
            return existing
        now = time.time()
        created = proto_models.Room(
            sid=f"RM_{secrets.token_hex(6)}",
            name=request.name,
            empty_timeout=request.empty_timeout,
            departure_timeout=request.departure_timeout,
            max_participants=request.max_participants,
            metadata=request.metadata,
            creation_time=int(now),
            creation_time_ms=int(now * 1000),
        )
        self.rooms[request.name] = created
        return created

    def _delete_room(self, request: proto_room.DeleteRoomRequest) -> proto_room.DeleteRoomResponse:
        if self.rooms.pop(request.room, None) is None:
            raise TwirpError("not_found", "requested room does not exist")
        self.participants.pop(request.room, None)
        return proto_room.DeleteRoomResponse()

    def _list_rooms(self, request: proto_room.ListRoomsRequest) -> proto_room.ListRoomsResponse:
        names = set(request.names)
        rooms = [room for name, room in self.rooms.items() if not names or name in names]
        for room in rooms:
            room.num_participants = len(self.participants.get(room.name, {}))
        return proto_room.ListRoomsResponse(rooms=rooms)

    def _list_participants(
        self, request: proto_room.ListParticipantsRequest
    ) -> proto_room.ListParticipantsResponse:
        if request.room not in self.rooms:
            raise TwirpError("not_found", "requested room does not exist")
        return proto_room.ListParticipantsResponse(
            participants=list(self.participants[request.room].values())
        )

    def _remove_participant(
        self, request: proto_room.RoomParticipantIdentity
    ) -> proto_room.RemoveParticipantResponse:
        if request.room not in self.rooms:
            raise TwirpError("not_found", "requested room does not exist")
        if self.participants[request.room].pop(request.identity, None) is None:
            raise TwirpError("not_found", "participant not found")
        return proto_room.RemoveParticipantResponse()

    def _update_participant(
        self, request: proto_room.UpdateParticipantRequest
    ) -> proto_models.ParticipantInfo:
        """As LiveKit does: the attributes sent are merged into the participant's (an empty value deletes)."""
        if request.room not in self.rooms:
            raise TwirpError("not_found", "requested room does not exist")
        info = self.participants[request.room].get(request.identity)
        if info is None:
            raise TwirpError("not_found", "participant not found")
        for key, value in request.attributes.items():
            if value:
                info.attributes[key] = value
            else:
                info.attributes.pop(key, None)
        if request.metadata:
            info.metadata = request.metadata
        if request.name:
            info.name = request.name
        return info

    # ---- AgentDispatchService --------------------------------------------------------------------

    def _create_dispatch(
        self, request: proto_dispatch.CreateAgentDispatchRequest
    ) -> proto_dispatch.AgentDispatch:
        if not request.agent_name or not request.room:
            raise TwirpError("invalid_argument", "agent_name and room are required")
        created = proto_dispatch.AgentDispatch(
            id=f"AD_{secrets.token_hex(6)}",
            agent_name=request.agent_name,
            room=request.room,
            metadata=request.metadata,
        )
        self.dispatches[created.id] = created
        return created

    def _list_dispatch(
        self, request: proto_dispatch.ListAgentDispatchRequest
    ) -> proto_dispatch.ListAgentDispatchResponse:
        found = [
            d
            for d in self.dispatches.values()
            if d.room == request.room and (not request.dispatch_id or d.id == request.dispatch_id)
        ]
        return proto_dispatch.ListAgentDispatchResponse(agent_dispatches=found)

    def _delete_dispatch(
        self, request: proto_dispatch.DeleteAgentDispatchRequest
    ) -> proto_dispatch.AgentDispatch:
        found = self.dispatches.get(request.dispatch_id)
        if found is None or found.room != request.room:
            raise TwirpError("not_found", "dispatch not found")
        return self.dispatches.pop(request.dispatch_id)

    # ---- Egress ----------------------------------------------------------------------------------

    def _start_room_composite(
        self, request: proto_egress.RoomCompositeEgressRequest
    ) -> proto_egress.EgressInfo:
        room = self.rooms.get(request.room_name)
        if room is None:
            raise TwirpError("not_found", "requested room does not exist")
        info = proto_egress.EgressInfo(
            egress_id=f"EG_{secrets.token_hex(6)}",
            room_id=room.sid,
            room_name=request.room_name,
            status=proto_egress.EGRESS_STARTING,
            started_at=time.time_ns(),
            updated_at=time.time_ns(),
        )
        info.room_composite.CopyFrom(request)
        self.egresses[info.egress_id] = info
        return info

    def _stop_egress(self, request: proto_egress.StopEgressRequest) -> proto_egress.EgressInfo:
        info = self.egresses.get(request.egress_id)
        if info is None:
            raise TwirpError("not_found", "egress not found")
        if info.status not in (proto_egress.EGRESS_STARTING, proto_egress.EGRESS_ACTIVE):
            raise TwirpError(
                "failed_precondition",
                f"egress with status {proto_egress.EgressStatus.Name(info.status)} cannot be stopped",
            )
        info.status = proto_egress.EGRESS_ENDING
        info.updated_at = time.time_ns()
        return info

    def _list_egress(self, request: proto_egress.ListEgressRequest) -> proto_egress.ListEgressResponse:
        active = (proto_egress.EGRESS_STARTING, proto_egress.EGRESS_ACTIVE, proto_egress.EGRESS_ENDING)
        items = [
            info
            for info in self.egresses.values()
            if (not request.room_name or info.room_name == request.room_name)
            and (not request.egress_id or info.egress_id == request.egress_id)
            and (not request.active or info.status in active)
        ]
        return proto_egress.ListEgressResponse(items=items)


def main() -> None:
    """Serves the stand-in for a local run: `python -m devserver.livekit_api --port 7880`."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=7880)
    parser.add_argument("--api-key", default="devkey")
    parser.add_argument("--api-secret", default="secret")
    args = parser.parse_args()
    stand_in = LiveKitStandIn(api_key=args.api_key, api_secret=args.api_secret, port=args.port).start()
    print(f"LiveKit stand-in on {stand_in.url} (key {args.api_key})", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        stand_in.stop()


if __name__ == "__main__":
    main()


def start_local_livekit_api(*, api_key: str, api_secret: str, port: int = 7880) -> str | None:
    """For `make run`: starts the stand-in unless a LiveKit server already answers on the port.

    Returns the stand-in's URL, or None when a real server is there.
    """
    import socket

    with socket.socket() as probe:
        probe.settimeout(0.3)
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return None
    stand_in = LiveKitStandIn(api_key=api_key, api_secret=api_secret, port=port).start()
    start_local_livekit_api.stand_in = stand_in
    return stand_in.url
