"""GET /join/{token} and /join-assets/{name}: security headers, bundle serving, and no token in logs."""

import gzip
import json
import logging
import re
import uuid

import pytest

from meetings.secretary.joinpage import routes
from meetings.secretary.joinpage.routes import content_security_policy, livekit_origins

CLIENT_LOGGERS = {"httpx", "httpx2", "httpcore", "asyncio"}


@pytest.fixture
def client(api):
    from meetings.secretary.app import app

    return api(app)


def _csp(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


def test_page_is_html_with_security_headers(client, monkeypatch):
    from meetings.settings import get_settings

    monkeypatch.setenv("LIVEKIT_URL", "wss://meet.example.com")
    get_settings.cache_clear()
    try:
        response = client.get(f"/join/{uuid.uuid4()}")
    finally:
        get_settings.cache_clear()

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "camera=(self)" in response.headers["permissions-policy"]
    csp = _csp(response.headers["content-security-policy"])
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["default-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["connect-src"] == ["'self'", "wss://meet.example.com", "https://meet.example.com"]
    assert csp["form-action"] == ["'none'"]
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    assert "'unsafe-eval'" not in response.headers["content-security-policy"]


def test_page_has_no_inline_script_or_style_and_links_the_built_bundle(client):
    html = client.get(f"/join/{uuid.uuid4()}").text
    manifest = json.loads((routes.STATIC_DIR / "manifest.json").read_text())

    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S)
    assert scripts == [""]  # one external module, no inline code
    assert f'<script type="module" src="/join-assets/{manifest["join.js"]}">' in html
    assert f'href="/join-assets/{manifest["join.css"]}"' in html
    assert "<style" not in html and " style=" not in html
    assert re.search(r"\son[a-z]+=", html) is None  # no inline event handlers
    assert '<meta name="referrer" content="no-referrer">' in html
    assert 'inputmode="numeric"' in html and 'autocomplete="one-time-code"' in html


def test_page_is_the_same_for_every_token(client):
    token = str(uuid.uuid4())
    first = client.get(f"/join/{token}").text
    assert token not in first
    assert client.get("/join/not-a-token").text == first


@pytest.mark.parametrize(
    ("livekit_url", "expected"),
    [
        ("ws://127.0.0.1:7880", ["ws://127.0.0.1:7880", "http://127.0.0.1:7880"]),
        ("wss://meet.example.com/", ["wss://meet.example.com", "https://meet.example.com"]),
        ("https://meet.example.com", ["wss://meet.example.com", "https://meet.example.com"]),
        ("not a url", []),
    ],
)
def test_livekit_origins(livekit_url, expected):
    assert livekit_origins(livekit_url) == expected
    assert content_security_policy(livekit_url).count("connect-src 'self'") == 1


def test_hashed_assets_are_served_with_their_type_and_a_long_cache(client):
    manifest = json.loads((routes.STATIC_DIR / "manifest.json").read_text())
    script = client.get(f"/join-assets/{manifest['join.js']}", headers={"Accept-Encoding": "identity"})
    style = client.get(f"/join-assets/{manifest['join.css']}", headers={"Accept-Encoding": "identity"})

    assert script.status_code == 200 and style.status_code == 200
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert style.headers["content-type"] == "text/css; charset=utf-8"
    for response in (script, style):
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "content-encoding" not in response.headers
    assert script.content == (routes.STATIC_DIR / manifest["join.js"]).read_bytes()


def test_assets_are_gzipped_for_browsers_that_accept_it(client):
    manifest = json.loads((routes.STATIC_DIR / "manifest.json").read_text())
    name = manifest["join.js"]
    # Read the raw bytes: TestClient (httpx) would decode gzip transparently.
    response = client.get(f"/join-assets/{name}", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.content == (routes.STATIC_DIR / name).read_bytes()
    assert len(routes._asset(name)[1]) < len(response.content) / 2
    assert gzip.decompress(routes._asset(name)[1]) == response.content


@pytest.mark.parametrize(
    "name", ["manifest.json", "missing-ABCDEFGH.js", "..%2Froutes.py", ".gitignore", "join.js"]
)
def test_anything_but_a_built_asset_is_not_found(client, name):
    response = client.get(f"/join-assets/{name}")
    assert response.status_code == 404


def test_traversal_out_of_the_assets_folder_is_not_served(client):
    assert client.get("/join-assets/../routes.py").status_code == 404
    assert client.get("/join-assets/%2E%2E/routes.py").status_code == 404


def test_missing_bundle_answers_503(client, monkeypatch, tmp_path):
    monkeypatch.setattr(routes, "STATIC_DIR", tmp_path)
    routes._manifest.cache_clear()
    routes.render_page.cache_clear()
    try:
        response = client.get(f"/join/{uuid.uuid4()}")
    finally:
        routes._manifest.cache_clear()
        routes.render_page.cache_clear()
    assert response.status_code == 503
    assert response.headers["cache-control"] == "no-store"


def test_the_token_never_reaches_the_logs(client, db, capfd, caplog):
    """The page, and the join API it calls, log nothing that holds the link's token."""
    from datetime import UTC, datetime, timedelta

    from meetings.identity.passwords import hash_password, hash_token
    from meetings.secretary.participants.models import Participant, ParticipantType, RoomParticipant
    from meetings.secretary.rooms.models import Room, RoomStatus

    room = Room(
        id=str(uuid.uuid4()),
        livekit_room_id=f"meeting-{uuid.uuid4()}",
        title="Log check",
        scheduled_at=datetime.now(UTC) + timedelta(minutes=5),
        status=RoomStatus.ACTIVE,
        max_participants=5,
    )
    participant = Participant(name="Log Check", type=ParticipantType.CLIENT, phone_number="+5511987650000")
    db.add_all([room, participant])
    db.flush()
    token = str(uuid.uuid4())
    db.add(
        RoomParticipant(
            room_id=room.id,
            participant_id=participant.id,
            magic_link_token_hash=hash_token(token),
            password_hash=hash_password("12345678", rounds=10),
            magic_link_expires_at=datetime.now(UTC) + timedelta(hours=1),
        )
    )
    db.flush()

    caplog.set_level(logging.DEBUG)
    from meetings.log import logger

    previous_level = logger.log_level
    logger.setLevel("DEBUG")  # whatever the app would log at any level
    try:
        answers = _visit(client, token)
    finally:
        logger.setLevel(previous_level)
    assert answers == [200, 200, 401, 200, 422, 401]

    captured = capfd.readouterr()
    # The test client's own request log (httpx) is not the application's.
    app_records = [record for record in caplog.records if record.name.split(".")[0] not in CLIENT_LOGGERS]
    everything = captured.out + captured.err + "".join(f"{r.getMessage()} {r.__dict__}" for r in app_records)
    assert token not in everything
    assert token.replace("-", "") not in everything


def _visit(client, token: str) -> list[int]:
    return [
        client.get(f"/join/{token}").status_code,
        client.get(f"/v1/join/{token}").status_code,
        client.post(f"/v1/join/{token}", json={"password": "00000000"}).status_code,
        client.post(f"/v1/join/{token}", json={"password": "12345678"}).status_code,
        client.post(f"/v1/join/{token}", json={"password": "x"}).status_code,
        client.post(f"/v1/join/{token}/end", headers={"Authorization": "Bearer nope"}).status_code,
    ]
