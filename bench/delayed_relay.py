"""A database round trip as long as a network's, for the benchmarks: a TCP port on the loopback
relayed to the embedded server's unix socket, each answer held back by the round trip's length.

Behind RDS Proxy, every statement waits for the network twice; on this machine, a unix socket's
round trip takes microseconds. This kernel has no `netem` queueing discipline to delay packets, so
the relay, a process of its own, delays them instead: what the server sends reaches the client
`round_trip_ms` after it was sent, in order, and what the client sends goes through at once. A
request and its answer therefore take one round trip more, and pipelined messages are not
serialised, as on a network.

    python bench/delayed_relay.py SOCKET_PATH PORT ROUND_TRIP_MS
"""

import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit


def _forward(source: socket.socket, target: socket.socket) -> None:
    while data := source.recv(65536):
        target.sendall(data)
    target.shutdown(socket.SHUT_WR)


def _forward_late(source: socket.socket, target: socket.socket, delay: float) -> None:
    held: queue.Queue = queue.Queue()

    def send_when_due() -> None:
        while (item := held.get()) is not None:
            due, data = item
            if (wait := due - time.monotonic()) > 0:
                time.sleep(wait)
            target.sendall(data)
        target.close()

    threading.Thread(target=send_when_due, daemon=True).start()
    while data := source.recv(65536):
        held.put((time.monotonic() + delay, data))
    held.put(None)


def serve(socket_path: str, port: int, round_trip_ms: float) -> None:
    listener = socket.create_server(("127.0.0.1", port))
    while True:
        client, _ = listener.accept()
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        server = socket.socket(socket.AF_UNIX)
        server.connect(socket_path)
        threading.Thread(target=_forward, args=(client, server), daemon=True).start()
        threading.Thread(
            target=_forward_late, args=(server, client, round_trip_ms / 1000), daemon=True
        ).start()


def _accepting(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def delayed_database(url: str, round_trip_ms: float) -> Iterator:
    """While open, yields a function that turns a URL of the embedded server (`?host=` its socket
    directory) into one through the relay, whose every round trip lasts `round_trip_ms` more."""
    query = parse_qs(urlsplit(url).query)
    socket_path = str(Path(query["host"][-1]) / f".s.PGSQL.{query.get('port', ['5432'])[-1]}")
    port = _free_port()
    relay = subprocess.Popen([sys.executable, __file__, socket_path, str(port), str(round_trip_ms)])

    def through_relay(any_url: str) -> str:
        parts = urlsplit(any_url)
        fields = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        return urlunsplit(parts._replace(query=urlencode(fields | {"host": "127.0.0.1", "port": str(port)})))

    try:
        deadline = time.monotonic() + 10
        while not _accepting(port):
            if time.monotonic() > deadline or relay.poll() is not None:
                raise RuntimeError("the delayed relay did not start")
            time.sleep(0.02)
        yield through_relay
    finally:
        relay.terminate()
        relay.wait()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))
