"""The page a magic link opens (`GET /join/{token}`) and its bundled script and stylesheet.

The page is the same for every token: its script reads the token from the address and asks
`/v1/join/{token}`, so this route neither reads nor logs the token.
"""

import gzip
import json
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from meetings.api.params import TokenPath
from meetings.log import logger
from meetings.settings import get_settings

router = APIRouter(tags=["join-page"])

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATE = HERE / "page.html"
ASSET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
HASHED_ASSET = re.compile(r"-[A-Z0-9]{8}\.[a-z]+$")
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
LONG_CACHE = "public, max-age=31536000, immutable"
COMMON_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


class BundleMissing(RuntimeError):
    """The join page's bundle was not built (`npm run build` in web/, which `make install` runs)."""


def livekit_origins(livekit_url: str) -> list[str]:
    """The WebSocket origin of the LiveKit server and its HTTP twin (the client probes both)."""
    parts = urlsplit(livekit_url)
    if not parts.netloc:
        return []
    secure = parts.scheme in ("wss", "https")
    return [
        f"{'wss' if secure else 'ws'}://{parts.netloc}",
        f"{'https' if secure else 'http'}://{parts.netloc}",
    ]


def content_security_policy(livekit_url: str) -> str:
    """No inline script or style, media from the camera, network only to this origin and LiveKit."""
    directives = {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:", "mediastream:"],
        "connect-src": ["'self'", *livekit_origins(livekit_url)],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def page_headers(livekit_url: str) -> dict[str, str]:
    """Security headers of the HTML page: its address holds a credential, so nothing caches or leaks it."""
    return {
        **COMMON_HEADERS,
        "Content-Security-Policy": content_security_policy(livekit_url),
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(self), microphone=(self), display-capture=(), geolocation=(), payment=()",
        "X-Robots-Tag": "noindex, nofollow",
    }


@lru_cache
def _manifest() -> dict[str, str]:
    manifest = STATIC_DIR / "manifest.json"
    if not manifest.is_file():
        raise BundleMissing(f"{manifest} is missing: run `npm ci && npm run build` in web/")
    return json.loads(manifest.read_text())


@lru_cache
def render_page() -> str:
    """The page HTML, linking the bundle's content-hashed script and stylesheet."""
    manifest = _manifest()
    return (
        TEMPLATE.read_text(encoding="utf-8")
        .replace("{{script}}", manifest["join.js"])
        .replace("{{stylesheet}}", manifest["join.css"])
    )


@router.get("/join/{token}", response_class=HTMLResponse, summary="The page a magic link opens")
def join_page(token: TokenPath) -> HTMLResponse:
    del token  # the page's script reads it from the address; never logged here
    headers = page_headers(get_settings().livekit_url)
    try:
        html = render_page()
    except BundleMissing:
        logger.error("join page bundle missing", extra={"static_dir": str(STATIC_DIR)})
        unavailable = "<!doctype html><title>Unavailable</title><p>Service unavailable.</p>"
        return HTMLResponse(unavailable, 503, headers=headers)
    return HTMLResponse(html, headers=headers)


@lru_cache(maxsize=32)
def _asset(name: str) -> tuple[bytes, bytes]:
    body = (STATIC_DIR / name).read_bytes()
    return body, gzip.compress(body, compresslevel=9, mtime=0)


@router.get("/join-assets/{name}", summary="The join page's script and stylesheet", include_in_schema=False)
def join_asset(name: str, request: Request) -> Response:
    content_type = CONTENT_TYPES.get(Path(name).suffix)
    if not ASSET_NAME.match(name) or content_type is None or not (STATIC_DIR / name).is_file():
        return Response("Not found.", status_code=404, media_type="text/plain", headers=COMMON_HEADERS)
    body, compressed = _asset(name)
    headers = {
        **COMMON_HEADERS,
        "Cache-Control": LONG_CACHE if HASHED_ASSET.search(name) else "no-cache",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Vary": "Accept-Encoding",
    }
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        body = compressed
    return Response(body, media_type=content_type, headers=headers)
