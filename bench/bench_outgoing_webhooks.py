"""Outgoing webhooks through the dispatcher (outbox lease, Standard Webhooks signature, SSRF-checked
POST, attempt log, acknowledgement; embedded PostgreSQL) against bare signed POSTs (the same signature,
a plain http.client POST, no database) to the same local receiver, in deliveries per second, at the
same concurrency. The receiver is its own process (no GIL shared with the sender) and verifies every
dispatched delivery with the standardwebhooks library's Webhook.verify."""

import http.client
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("WEBHOOKS_ALLOW_LOOPBACK", "true")
from support import bench_database, bench_session, median, report  # noqa: E402

DELIVERIES = 1_000
BATCH = 100
ROUNDS = (1, 8)  # parallel sends per batch
REPEATS = 3  # bare and dispatcher runs alternate; the medians are compared


def serve_receiver(secret: str) -> None:
    """The receiver process: verifies every POST with `secret` and answers 204; GET /stats counts them."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from standardwebhooks import Webhook

    webhook = Webhook(secret)
    counts = {"verified": 0, "rejected": 0, "bare": 0}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            try:
                webhook.verify(body, dict(self.headers))
                counts["verified" if self.path == "/hooks" else "bare"] += 1
            except Exception:
                counts["rejected"] += 1
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:  # noqa: N802
            answer = json.dumps(counts).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args) -> None:
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 128  # socketserver's default backlog of 5 drops bursts of connections
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def stats(port: int) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", "/stats")
    return json.loads(connection.getresponse().read())


def seed(url: str, count: int, secret: str) -> int:
    """An entity with one endpoint on the receiver, and `count` queued events."""
    from meetings.manager.entities.models import Entity
    from meetings.notifications.catalogue import EventType
    from meetings.notifications.models import WebhookEndpoint
    from meetings.notifications.outbox import emit

    with bench_session() as db:
        entity = Entity(name=f"Bench clinic {time.time_ns()}", type="medical_clinic")
        db.add(entity)
        db.flush()
        db.add(WebhookEndpoint(entity_id=entity.id, url=url, event_types=["room.started"], secret=secret))
        db.flush()
        for index in range(count):
            emit(db=db, entity_id=entity.id, type=EventType.ROOM_STARTED, data={"room_id": f"room-{index}"})
        db.commit()
        return entity.id


def through_dispatcher(workers: int) -> float:
    from meetings.notifications.dispatch import dispatch_due

    start = time.perf_counter()
    sent = 0
    with bench_session("jobs") as db:
        while True:
            result = dispatch_due(db=db, limit=BATCH, workers=workers)
            if not result.claimed:
                break
            if result.failed:
                raise SystemExit(f"{result.failed} deliveries failed: {failed_attempts(db)}")
            sent += result.claimed
    elapsed = time.perf_counter() - start
    assert sent == DELIVERIES, sent
    return sent / elapsed


def failed_attempts(db) -> dict[str, int]:
    from sqlalchemy import func, select

    from meetings.notifications.models import WebhookAttempt

    rows = db.execute(
        select(WebhookAttempt.error, func.count())
        .where(~WebhookAttempt.succeeded)
        .group_by(WebhookAttempt.error)
    )
    return dict(rows.all())


def bare_posts(port: int, secret: str, workers: int) -> float:
    from standardwebhooks import Webhook

    webhook = Webhook(secret)
    body = b'{"type":"room.started","timestamp":"2026-12-01T10:00:00Z","data":{"entity_id":1,"room_id":"r"}}'

    def post(index: int) -> int:
        at = datetime.now(UTC)
        message_id = f"msg_bare{index}"
        headers = {
            "Content-Type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": webhook.sign(message_id, at, body.decode()),
        }
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        try:
            connection.request("POST", "/bare", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for offset in range(0, DELIVERIES, BATCH):
            statuses = list(pool.map(post, range(offset, offset + BATCH)))
            assert all(status == 204 for status in statuses)
    return DELIVERIES / (time.perf_counter() - start)


def main() -> None:
    if sys.argv[1:2] == ["--receiver"]:
        return serve_receiver(sys.argv[2])
    with bench_database("meetings_bench_outgoing_webhooks"):
        from meetings.notifications.service import new_secret

        secret = new_secret()
        receiver = subprocess.Popen(
            [sys.executable, __file__, "--receiver", secret], stdout=subprocess.PIPE, text=True
        )
        try:
            port = int(receiver.stdout.readline())
            url = f"http://127.0.0.1:{port}/hooks"
            print(
                f"{DELIVERIES} deliveries per run, batches of {BATCH}, receiver process on 127.0.0.1:{port}"
            )
            for workers in ROUNDS:
                floors, rates = [], []
                for _ in range(REPEATS):
                    floors.append(bare_posts(port, secret, workers))
                    seed(url, DELIVERIES, secret)
                    rates.append(through_dispatcher(workers))
                report(
                    f"dispatcher, {workers} parallel send(s), median of {REPEATS}",
                    median(rates),
                    "deliveries/s",
                    floor=median(floors),
                    floor_name="bare signed POSTs",
                )
            counts = stats(port)
            expected = DELIVERIES * REPEATS * len(ROUNDS)
            assert counts == {"verified": expected, "bare": expected, "rejected": 0}, counts
            print(f"receiver: all {2 * expected} POSTs verified by Webhook.verify, 0 rejected")
        finally:
            receiver.kill()


if __name__ == "__main__":
    main()
