"""One POST to a webhook URL, safe against SSRF: the host is resolved here, every address checked, and
the connection made to the checked address (no second lookup); no redirects are followed, the whole
exchange has one deadline, and at most a few KiB of the answer are read."""

import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from meetings.notifications.addresses import AddressRefused, resolve

TIMEOUT_SECONDS = 15.0
MAX_RESPONSE_BYTES = 16 * 1024
USER_AGENT = "Meetings-Webhooks/1.0"


@dataclass(frozen=True)
class SendResult:
    """What the endpoint answered, or why there is no answer."""

    status: int | None
    duration_ms: int
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@lru_cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_loopback: bool,
    timeout: float | None = None,
) -> SendResult:
    """POSTs the body and reports the status; never raises for network trouble."""
    started = time.monotonic()
    timeout = timeout or TIMEOUT_SECONDS

    def result(status: int | None, error: str | None = None) -> SendResult:
        return SendResult(status, int((time.monotonic() - started) * 1000), error)

    parts = urlsplit(url)
    secure = parts.scheme == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if secure else 80)
    try:
        address = resolve(host, port, allow_loopback=allow_loopback)[0]
    except AddressRefused as exc:
        return result(None, f"refused:{exc.reason}")
    sock = None
    try:
        sock = socket.create_connection((str(address), port), timeout=timeout)
        _watchdog.watch(sock, started + timeout)
        if secure:
            sock = _tls_context().wrap_socket(sock, server_hostname=host)
            _watchdog.watch(sock, started + timeout)
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        connection.sock = sock  # already connected to the checked address: http.client never resolves
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        connection.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
        )
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        return result(response.status)
    except TimeoutError:
        return result(None, "timeout")
    except ConnectionRefusedError:
        return result(None, "connection_refused")
    except ssl.SSLError:
        return result(None, "tls_error")
    except http.client.HTTPException:
        return result(None, "timeout" if time.monotonic() - started >= timeout else "bad_response")
    except OSError:
        return result(None, "timeout" if time.monotonic() - started >= timeout else "connection_error")
    finally:
        if sock is not None:
            _watchdog.forget(sock)
            sock.close()


class _Watchdog:
    """One thread for every send: shuts down a socket whose exchange outlived its deadline (per-read
    timeouts alone would let an answer trickling in a byte at a time run on for ever)."""

    CHECK_EVERY = 0.25

    def __init__(self) -> None:
        self._deadlines: dict[socket.socket, float] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, sock: socket.socket, deadline: float) -> None:
        with self._lock:
            self._deadlines[sock] = deadline
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="webhook-deadlines", daemon=True)
                self._thread.start()

    def forget(self, sock: socket.socket) -> None:
        with self._lock:
            self._deadlines.pop(sock, None)

    def _run(self) -> None:
        while True:
            time.sleep(self.CHECK_EVERY)
            now = time.monotonic()
            with self._lock:
                expired = [sock for sock, deadline in self._deadlines.items() if deadline <= now]
                for sock in expired:
                    del self._deadlines[sock]
            for sock in expired:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


_watchdog = _Watchdog()
