"""LiveKit webhook intake (embedded PostgreSQL): bursts of 1,000 signed events with 10% duplicates
(participants joining and leaving 20 rooms), in events per second —
- over real HTTP (uvicorn on 127.0.0.1) against the signature check alone on the same bodies;
- through the Lambda handler (Mangum, API Gateway events) against the floor of raw psycopg doing the
  same work per event: the signature check, then the receipt, the room and attendance rows locked and
  updated and the room event appended, in one transaction. The handler and the floors take turns of
  50 events, so that a burst of load on the machine falls on all of them alike;
- the same again with every database round trip made as long as a network's (BENCH_DB_RTT_MS, default
  1.0; `delayed_relay.py`), as behind RDS Proxy, where the round trips count more than the CPU."""

import os
import random
import socket
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support import bench_database, bench_session, lambda_handler, report, timed  # noqa: E402

EVENTS = 1_000
DUPLICATE_SHARE = 0.10
ROOMS = 20
PEOPLE_PER_ROOM = 5
API_KEY, API_SECRET = "bench-key", "bench-secret-0123456789abcdef0123"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seed_rooms() -> list[tuple[str, list[int]]]:
    """ROOMS active rooms with PEOPLE_PER_ROOM participants each, the first of them (the organizer)
    connected throughout, so that the meetings go on while the others come and go:
    [(livekit name, ids of the participants who come and go)]."""
    from meetings.secretary.participants.models import Participant, ParticipantType, RoomParticipant
    from meetings.secretary.rooms.models import Room, RoomStatus

    rooms = []
    with bench_session() as db:
        for room_index in range(ROOMS):
            room_id = str(uuid.uuid4())
            room = Room(
                id=room_id,
                livekit_room_id=f"meeting-{room_id}",
                title="Bench",
                max_participants=10,
                scheduled_at=datetime.now(UTC) + timedelta(minutes=5),
            )
            db.add(room)
            db.flush()
            room.status, room.started_at = RoomStatus.ACTIVE, datetime.now(UTC)
            ids = []
            for person in range(PEOPLE_PER_ROOM):
                participant = Participant(
                    name="Guest",
                    type=ParticipantType.CLIENT,
                    phone_number=f"+55119{room_index:04d}{person:04d}",
                )
                db.add(participant)
                db.flush()
                seat = RoomParticipant(room_id=room_id, participant_id=participant.id)
                if person == 0:
                    seat.joined_at, seat.context = room.started_at, {"connected": True}
                db.add(seat)
                ids.append(participant.id)
            rooms.append((room.livekit_room_id, ids[1:]))
        db.commit()
    return rooms


def burst(rooms) -> list[tuple[str, dict]]:
    """EVENTS signed deliveries: joins and leaves in time order per person, 10% redelivered."""
    from devserver.livekit_webhooks import signed_webhook, webhook_event

    rng = random.Random(7)
    unique_count = int(EVENTS * (1 - DUPLICATE_SHARE))
    clock = int(time.time()) - 3600
    events = []
    while len(events) < unique_count:
        name, people = rng.choice(rooms)
        person = rng.choice(people)
        for kind in ("participant_joined", "participant_left"):
            clock += 1
            events.append(
                webhook_event(kind, room_name=name, identity=f"participant-{person}", created_at=clock)
            )
    events = events[:unique_count]
    deliveries = [signed_webhook(e, api_key=API_KEY, api_secret=API_SECRET) for e in events]
    for _ in range(EVENTS - unique_count):
        deliveries.insert(rng.randrange(len(deliveries)), rng.choice(deliveries))
    return deliveries


def main() -> None:
    with bench_database() as owner_url:
        from devserver.livekit_api import LiveKitStandIn

        # The handler's LiveKit client needs a server; in these meetings, nobody is removed and no room ends.
        livekit = LiveKitStandIn(api_key=API_KEY, api_secret=API_SECRET).start()
        os.environ.update(LIVEKIT_API_KEY=API_KEY, LIVEKIT_API_SECRET=API_SECRET, LIVEKIT_URL=livekit.url)
        import httpx
        import uvicorn
        from livekit.api import TokenVerifier, WebhookReceiver

        from meetings.secretary.webhooks.app import app
        from meetings.settings import get_settings

        get_settings.cache_clear()
        deliveries = burst(seed_rooms())
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)

        outcomes: dict[str, int] = {}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:

            def deliver_all() -> None:
                for body, headers in deliveries:
                    answer = client.post("/v1/webhooks/livekit", content=body, headers=headers)
                    assert answer.status_code == 200, answer.text
                    status = answer.json()["status"]
                    outcomes[status] = outcomes.get(status, 0) + 1

            handled = timed(deliver_all)
        receiver = WebhookReceiver(TokenVerifier(API_KEY, API_SECRET))
        verified = timed(
            lambda: [receiver.receive(body, headers["Authorization"]) for body, headers in deliveries]
        )
        server.should_exit = True
        lambda_rate, raw, unprepared = lambda_against_raw(seed_rooms(), owner_url)
        delayed = across_a_network(owner_url)
        livekit.stop()
        report(
            f"webhooks handled ({outcomes.get('processed', 0)} processed, {outcomes.get('duplicate', 0)} duplicates)",
            EVENTS / handled,
            "events/s",
            floor=EVENTS / verified,
            floor_name="signature check alone",
        )
        report(
            "webhooks through the Lambda handler",
            lambda_rate,
            "events/s",
            floor=raw,
            floor_name="raw psycopg, same writes in one transaction",
        )
        report(
            "webhooks through the Lambda handler",
            lambda_rate,
            "events/s",
            floor=unprepared,
            floor_name="the same raw writes without prepared statements, as the services connect",
        )
        round_trip_ms, (delayed_rate, delayed_raw, delayed_unprepared) = delayed
        for floor, floor_name in ((delayed_raw, "raw psycopg"), (delayed_unprepared, "raw, unprepared")):
            report(
                f"webhooks through the Lambda handler, {round_trip_ms:.2f} ms database round trips",
                delayed_rate,
                "events/s",
                floor=floor,
                floor_name=f"{floor_name}, same round trips",
            )
        if outcomes.get("duplicate", 0) != int(EVENTS * DUPLICATE_SHARE):
            raise SystemExit(f"idempotency broken: {outcomes}")


def across_a_network(owner_url: str) -> tuple[float, tuple[float, float, float]]:
    """lambda_against_raw with every database connection through the delayed relay; returns the round
    trip measured through it (a `SELECT 1`) and the three rates."""
    import psycopg
    from delayed_relay import delayed_database

    from meetings.db import get_engine, session_factory
    from meetings.settings import get_settings

    def reconnect() -> None:
        for cached in (get_settings, get_engine, session_factory):
            cached.cache_clear()

    direct_url = os.environ["DATABASE_URL"]
    with delayed_database(owner_url, float(os.environ.get("BENCH_DB_RTT_MS", "1.0"))) as through_relay:
        os.environ["DATABASE_URL"] = through_relay(direct_url)
        reconnect()
        try:
            with psycopg.connect(through_relay(owner_url), autocommit=True) as connection:
                connection.execute("SELECT 1")
                round_trip = timed(lambda: [connection.execute("SELECT 1") for _ in range(100)]) / 100
            rates = lambda_against_raw(seed_rooms(), through_relay(owner_url))
        finally:
            os.environ["DATABASE_URL"] = direct_url
            reconnect()
    return round_trip * 1000, rates


def api_gateway_event(body: str, headers: dict[str, str]) -> dict:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/v1/webhooks/livekit",
        "rawQueryString": "",
        "headers": {key.lower(): value for key, value in headers.items()} | {"host": "api.example.com"},
        "requestContext": {
            "http": {
                "method": "POST",
                "path": "/v1/webhooks/livekit",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
            },
            "requestId": "bench",
            "stage": "$default",
        },
        "body": body,
        "isBase64Encoded": False,
    }


ROUND = 50  # events per turn when the handler and the floors take turns


def lambda_against_raw(rooms, owner_url: str) -> tuple[float, float, float]:
    """Events/s of the Lambda handler and of the raw floor (with and without prepared statements), each
    on its own burst over rooms of its own, alike. They take turns,
    ROUND events at a time, and the first of each turn rotates, so that a burst of load on the machine
    falls on all three alike."""
    import psycopg
    from livekit.api import TokenVerifier, WebhookReceiver

    handler = lambda_handler("livekit_webhook")
    events = [api_gateway_event(body, headers) for body, headers in burst(rooms)]
    receiver = WebhookReceiver(TokenVerifier(API_KEY, API_SECRET))
    raw_deliveries, unprepared_deliveries = burst(seed_rooms()), burst(seed_rooms())

    def through_handler(turn: slice) -> None:
        for event in events[turn]:
            assert handler(event, None)["statusCode"] == 200

    with (
        psycopg.connect(owner_url, prepare_threshold=5) as prepared,
        psycopg.connect(owner_url, prepare_threshold=None) as unprepared,
    ):
        sides = [
            through_handler,
            lambda turn: raw_writes(receiver, raw_deliveries[turn], prepared),
            lambda turn: raw_writes(receiver, unprepared_deliveries[turn], unprepared),
        ]
        seconds = [0.0, 0.0, 0.0]
        for index, start in enumerate(range(0, EVENTS, ROUND)):
            turn = slice(start, start + ROUND)
            for side in ((index + offset) % 3 for offset in range(3)):
                seconds[side] += timed(lambda side=side, turn=turn: sides[side](turn))
    handled, raw, unprepared_rate = (EVENTS / spent for spent in seconds)
    return handled, raw, unprepared_rate


def raw_writes(receiver, deliveries, connection) -> None:
    """Raw psycopg doing the handler's writes, one transaction per event. psycopg prepares a statement
    server-side from its fifth run (`prepare_threshold` 5, its default); the services never do, since a
    prepared statement pins an RDS Proxy connection (meetings.db), so the floor is measured both ways."""
    import json

    for body, headers in deliveries:
        event = receiver.receive(body, headers["Authorization"])
        at = datetime.fromtimestamp(event.created_at, UTC)
        with connection.transaction():
            fresh = connection.execute(
                "INSERT INTO livekit_webhook_receipts (event_id, event_name, room_name, event_created_at)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
                (event.id, event.event, event.room.name, at),
            ).fetchone()
            if fresh is None:
                continue
            room_id = connection.execute(
                "SELECT id FROM rooms WHERE livekit_room_id = %s FOR UPDATE", (event.room.name,)
            ).fetchone()[0]
            participant_id = int(event.participant.identity.rsplit("-", 1)[1])
            connection.execute(
                "SELECT id FROM room_participants WHERE room_id = %s AND participant_id = %s FOR UPDATE",
                (room_id, participant_id),
            )
            joined = event.event == "participant_joined"
            connection.execute(
                "UPDATE room_participants SET joined_at = CASE WHEN %s THEN %s ELSE joined_at END,"
                " left_at = CASE WHEN %s THEN NULL ELSE %s END,"
                " context = context || jsonb_build_object('connected', %s::boolean)"
                " WHERE room_id = %s AND participant_id = %s",
                (joined, at, joined, at, joined, room_id, participant_id),
            )
            connection.execute(
                "INSERT INTO room_events (room_id, event_name, data) VALUES (%s, %s, %s)",
                (
                    room_id,
                    "PARTICIPANT_JOINED" if joined else "PARTICIPANT_LEFT",
                    json.dumps({"participant_id": participant_id, "occurred_at": at.isoformat()}),
                ),
            )


if __name__ == "__main__":
    main()
