"""Joins over real HTTP (uvicorn on 127.0.0.1, embedded PostgreSQL, the local LiveKit stand-in):
one join end to end against one bare bcrypt.checkpw at the same cost, then 50 concurrent joins on a
room of capacity 10 (the count admitted must be 10) against 50 bare checks on the same threads."""

import os
import socket
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support import bench_database, bench_session, median, report, timed  # noqa: E402

SEQUENTIAL_JOINS = 30
# Below the dev server's 40 worker threads: a sync route validates its answer on a worker thread while
# its transaction (and the room's row lock) is still open, so more racing joins on one room than there
# are threads wait on each other. On AWS each join has its own Lambda container and its own small pool.
CONCURRENT_JOINS = 30
os.environ.setdefault("DB_POOL_SIZE", "10")
os.environ.setdefault("DB_MAX_OVERFLOW", str(CONCURRENT_JOINS))
CAPACITY = 10
PASSWORD = "13572468"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seed_room(capacity: int, links: int) -> list[str]:
    """A room starting in 5 minutes with `links` participants; returns their tokens."""
    from meetings.identity.passwords import hash_password, hash_token
    from meetings.secretary.participants.models import Participant, ParticipantType, RoomParticipant
    from meetings.secretary.rooms.models import Room
    from meetings.settings import get_settings

    password_hash = hash_password(PASSWORD, rounds=get_settings().bcrypt_rounds)
    with bench_session() as db:
        room_id = str(uuid.uuid4())
        db.add(
            Room(
                id=room_id,
                livekit_room_id=f"meeting-{room_id}",
                title="Bench",
                max_participants=capacity,
                scheduled_at=datetime.now(UTC) + timedelta(minutes=5),
            )
        )
        db.flush()
        tokens = []
        for index in range(links):
            participant = Participant(
                name=f"Guest {index}", type=ParticipantType.CLIENT, phone_number=f"+55119{index:08d}"
            )
            db.add(participant)
            db.flush()
            token = str(uuid.uuid4())
            db.add(
                RoomParticipant(
                    room_id=room_id,
                    participant_id=participant.id,
                    magic_link_token_hash=hash_token(token),
                    password_hash=password_hash,
                    magic_link_expires_at=datetime.now(UTC) + timedelta(hours=1),
                )
            )
            tokens.append(token)
        db.commit()
    return tokens


def main() -> None:
    with bench_database():
        from devserver.livekit_api import LiveKitStandIn

        livekit = LiveKitStandIn(api_key="bench-key", api_secret="bench-secret-0123456789abcdef0123").start()
        os.environ.update(
            LIVEKIT_URL=livekit.url, LIVEKIT_API_KEY=livekit.api_key, LIVEKIT_API_SECRET=livekit.api_secret
        )

        import bcrypt
        import httpx
        import uvicorn

        from meetings.secretary.app import app
        from meetings.settings import get_settings

        get_settings.cache_clear()
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        rounds = get_settings().bcrypt_rounds
        stored = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=rounds))

        with httpx.Client(base_url=base, timeout=60) as client:
            tokens = iter(seed_room(capacity=1000, links=SEQUENTIAL_JOINS + 3))

            def one_join() -> None:
                answer = client.post(f"/v1/join/{next(tokens)}", json={"password": PASSWORD})
                assert answer.status_code == 200, answer.text

            for _ in range(3):
                one_join()
            join_times, check_times = [], []
            for _ in range(SEQUENTIAL_JOINS):  # interleaved, so machine load hits both sides alike
                join_times.append(timed(one_join))
                check_times.append(timed(lambda: bcrypt.checkpw(PASSWORD.encode(), stored)))
        report(
            f"join end to end (median of {SEQUENTIAL_JOINS}, bcrypt cost {rounds})",
            median(join_times) * 1000,
            "ms",
            floor=median(check_times) * 1000,
            floor_name="bare bcrypt.checkpw",
        )

        tokens = seed_room(capacity=CAPACITY, links=CONCURRENT_JOINS)
        start = threading.Barrier(CONCURRENT_JOINS)

        def racing_join(token: str) -> int:
            with httpx.Client(base_url=base, timeout=120) as own_client:
                start.wait()
                return own_client.post(f"/v1/join/{token}", json={"password": PASSWORD}).status_code

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=CONCURRENT_JOINS) as pool:
            statuses = list(pool.map(racing_join, tokens))
        wall = time.perf_counter() - started
        admitted = statuses.count(200)
        refused = statuses.count(409)

        with ThreadPoolExecutor(max_workers=CONCURRENT_JOINS) as pool:
            floor = timed(
                lambda: list(
                    pool.map(lambda _: bcrypt.checkpw(PASSWORD.encode(), stored), range(CONCURRENT_JOINS))
                )
            )
        report(
            f"concurrent joins admitted ({CONCURRENT_JOINS} racing, {refused} room_full)",
            admitted,
            "joins",
            floor=CAPACITY,
            floor_name="capacity",
        )
        report(
            f"{CONCURRENT_JOINS} concurrent joins wall time",
            wall,
            "s",
            floor=floor,
            floor_name=f"{CONCURRENT_JOINS} bare bcrypt checks on {CONCURRENT_JOINS} threads",
        )
        server.should_exit = True
        livekit.stop()
        if admitted != CAPACITY:
            raise SystemExit(f"capacity broken: {admitted} admitted for {CAPACITY} seats")


if __name__ == "__main__":
    main()
