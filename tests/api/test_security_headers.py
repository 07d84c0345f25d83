"""Every answer carries HSTS; API answers are neither cached nor content-sniffed; static assets keep
their own caching."""

import pytest
from fastapi import APIRouter

from meetings.api.app import create_app
from meetings.api.headers import HSTS
from meetings.manager.users.models import UserRole
from tests.factories import make_user


@pytest.fixture
def manager_client(api):
    from meetings.manager.app import app

    return api(app)


def assert_api_headers(response):
    assert response.headers["Strict-Transport-Security"] == HSTS
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_success_and_error_answers_are_not_stored(manager_client, db, auth_headers):
    headers = auth_headers(make_user(db, role=UserRole.MANAGER))
    for response in (
        manager_client.get("/v1/auth/me", headers=headers),
        manager_client.get("/v1/auth/me"),
        manager_client.get("/v1/users/999999", headers=headers),
        manager_client.get("/v1/users?offset=-1", headers=headers),
        manager_client.post("/v1/auth/login", json={"email": "nobody@example.com", "password": "whatever1"}),
    ):
        assert response.status_code in (200, 401, 404, 422)
        assert_api_headers(response)


def test_the_join_answers_and_the_webhook_are_not_stored(api, livekit_server):
    from meetings.secretary.app import app as secretary
    from meetings.secretary.webhooks.app import app as webhooks

    assert_api_headers(api(secretary).post("/v1/join/" + "a" * 32, json={"password": "12345678"}))
    assert_api_headers(api(webhooks).post("/v1/webhooks/livekit", content=b"{}"))


def test_a_static_asset_keeps_its_own_caching_and_gets_hsts(api, livekit_server):
    from meetings.secretary.app import app

    response = api(app).get("/join-assets/nothing-here.js")
    assert response.status_code == 404
    assert response.headers["Strict-Transport-Security"] == HSTS
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_unexpected_error_carries_the_headers_too(api):
    router = APIRouter()

    @router.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = api(create_app("test", [router])).get("/boom")
    assert response.status_code == 500
    assert_api_headers(response)
