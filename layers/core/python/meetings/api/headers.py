"""Security headers on every answer of an app: HSTS always; API answers are never cached or sniffed."""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Two years, the subdomains too: what browsers' preload lists ask for. Served behind HTTPS only.
HSTS = "max-age=63072000; includeSubDomains"

# Answers carry magic links and passwords, LiveKit and backoffice tokens: nothing may store them.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class SecurityHeaders:
    """Adds the headers an answer does not set itself (static assets keep their own Cache-Control)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Strict-Transport-Security"] = HSTS
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if "cache-control" not in headers:
                    headers.update(NO_STORE)
            await send(message)

        await self.app(scope, receive, send_with_headers)
