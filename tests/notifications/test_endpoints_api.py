"""/v1/entities/{id}/webhook-endpoints: CRUD, the secret shown once, rotation, bad inputs."""

import pytest

from meetings.notifications.catalogue import EventType

BODY = {"url": "https://ehr.example.com/hooks", "event_types": ["room.started", "room.ended"]}


@pytest.fixture
def client(api):
    from meetings.manager.app import app

    return api(app)


def path(entity, *rest) -> str:
    return "/".join([f"/v1/entities/{entity.id}/webhook-endpoints", *map(str, rest)])


def error(response) -> tuple[int, str]:
    body = response.json()["error"]
    codes = [detail["code"] for detail in body["details"] or []] if response.status_code == 422 else []
    return response.status_code, codes[0] if codes else body["code"]


def test_create_shows_the_secret_once(client, clinic, auth_headers):
    headers = auth_headers(clinic.admin)
    created = client.post(path(clinic.entity), json={**BODY, "description": "EHR sync"}, headers=headers)

    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert body["event_types"] == ["room.ended", "room.started"]
    assert (body["status"], body["enabled"], body["disabled_reason"]) == ("active", True, None)
    fetched = client.get(path(clinic.entity, body["id"]), headers=headers).json()
    listed = client.get(path(clinic.entity), headers=headers).json()
    assert "secret" not in fetched and "secret" not in listed["items"][0]
    assert listed["total"] == 1 and fetched["url"] == BODY["url"]


def test_update_disable_enable_and_delete(client, clinic, auth_headers):
    headers = auth_headers(clinic.admin)
    endpoint_id = client.post(path(clinic.entity), json=BODY, headers=headers).json()["id"]

    changed = client.patch(
        path(clinic.entity, endpoint_id),
        json={"event_types": ["recording.ready"], "description": None, "enabled": False},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["event_types"] == ["recording.ready"]
    assert (changed.json()["status"], changed.json()["disabled_reason"]) == ("disabled", None)
    enabled = client.patch(path(clinic.entity, endpoint_id), json={"enabled": True}, headers=headers)
    assert enabled.json()["status"] == "active"
    deleted = client.delete(path(clinic.entity, endpoint_id), headers=headers)
    assert deleted.status_code == 200 and deleted.json()["id"] == endpoint_id
    assert client.get(path(clinic.entity, endpoint_id), headers=headers).status_code == 404


def test_enabling_an_endpoint_the_platform_disabled_clears_the_reason(client, db, clinic, auth_headers):
    from meetings.notifications.models import WebhookEndpoint

    headers = auth_headers(clinic.admin)
    endpoint_id = client.post(path(clinic.entity), json=BODY, headers=headers).json()["id"]
    endpoint = db.get(WebhookEndpoint, endpoint_id)
    endpoint.enabled, endpoint.disabled_reason = False, "endpoint_gone"
    db.flush()

    assert (
        client.get(path(clinic.entity, endpoint_id), headers=headers).json()["disabled_reason"]
        == "endpoint_gone"
    )
    answer = client.patch(path(clinic.entity, endpoint_id), json={"enabled": True}, headers=headers).json()
    assert (answer["status"], answer["disabled_reason"], answer["disabled_at"]) == ("active", None, None)


def test_rotation_returns_a_new_secret_and_keeps_the_old_one_signing_for_a_day(
    client, db, clinic, auth_headers
):
    from meetings.notifications.models import WebhookEndpoint

    headers = auth_headers(clinic.admin)
    created = client.post(path(clinic.entity), json=BODY, headers=headers).json()
    rotated = client.post(path(clinic.entity, created["id"], "rotate-secret"), headers=headers)

    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["secret"].startswith("whsec_") and rotated.json()["secret"] != created["secret"]
    assert rotated.json()["previous_secret_expires_at"] is not None
    endpoint = db.get(WebhookEndpoint, created["id"])
    assert (endpoint.secret, endpoint.previous_secret) == (rotated.json()["secret"], created["secret"])


def test_a_manager_manages_any_entitys_endpoints(client, clinic, db, auth_headers):
    from meetings.manager.users.models import UserRole
    from tests.factories import make_user

    headers = auth_headers(make_user(db, role=UserRole.MANAGER))
    assert client.post(path(clinic.entity), json=BODY, headers=headers).status_code == 201


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({**BODY, "url": "ftp://ehr.example.com/hooks"}, (422, "webhook_url_scheme")),
        ({**BODY, "url": "https://user:pw@ehr.example.com/hooks"}, (422, "webhook_url_credentials")),
        ({**BODY, "url": "https://ehr.example.com/hooks#frag"}, (422, "invalid_webhook_url")),
        ({**BODY, "url": "https:///hooks"}, (422, "invalid_webhook_url")),
        ({**BODY, "url": "https://ehr.example.com:99999/"}, (422, "invalid_webhook_url")),
        ({**BODY, "url": "https://[::1"}, (422, "invalid_webhook_url")),
        ({**BODY, "url": "https://[abc]/hooks"}, (422, "invalid_webhook_url")),
        ({**BODY, "url": "https://a]b/hooks"}, (422, "invalid_webhook_url")),
        ({**BODY, "url": "https://169.254.169.254/latest/meta-data/"}, (422, "webhook_url_address")),
        ({**BODY, "url": "https://10.0.0.8/hooks"}, (422, "webhook_url_address")),
        ({**BODY, "url": "https://[::ffff:127.0.0.1]/hooks"}, (422, "webhook_url_address")),
        ({**BODY, "url": "https://localhost/hooks"}, (422, "webhook_url_address")),
        ({**BODY, "url": "https://" + "a" * 2000 + ".com"}, (422, "string_too_long")),
        ({**BODY, "url": ""}, (422, "string_too_short")),
        ({**BODY, "event_types": []}, (422, "too_short")),
        ({**BODY, "event_types": ["room.exploded"]}, (422, "enum")),
        ({**BODY, "event_types": "room.started"}, (422, "list_type")),
        ({**BODY, "description": "x" * 501}, (422, "string_too_long")),
        ({**BODY, "secret": "whsec_mine"}, (422, "extra_forbidden")),
        ({"url": BODY["url"]}, (422, "missing")),
    ],
)
def test_bad_inputs_are_refused_with_a_code(client, clinic, auth_headers, body, expected):
    answer = client.post(path(clinic.entity), json=body, headers=auth_headers(clinic.admin))
    assert error(answer) == expected, answer.text


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"url": None}, (422, "string_type")),
        ({"enabled": None}, (422, "bool_type")),
        ({"event_types": None}, (422, "list_type")),
        ({"url": "http://169.254.169.254/"}, (422, "webhook_url_address")),
        ({"url": "https://[::1"}, (422, "invalid_webhook_url")),
        ({"name": "x"}, (422, "extra_forbidden")),
    ],
)
def test_bad_updates_are_refused_with_a_code(client, clinic, auth_headers, body, expected):
    headers = auth_headers(clinic.admin)
    endpoint_id = client.post(path(clinic.entity), json=BODY, headers=headers).json()["id"]
    assert error(client.patch(path(clinic.entity, endpoint_id), json=body, headers=headers)) == expected


def test_production_wants_https_on_port_443(client, clinic, auth_headers, monkeypatch):
    from meetings.notifications import service

    class Production:
        environment = "production"
        webhooks_allow_loopback = False

    monkeypatch.setattr(service, "get_settings", lambda: Production())
    headers = auth_headers(clinic.admin)
    for url, code in [
        ("http://ehr.example.com/hooks", "webhook_url_scheme"),
        ("https://ehr.example.com:8443/hooks", "webhook_url_port"),
    ]:
        assert error(client.post(path(clinic.entity), json={**BODY, "url": url}, headers=headers)) == (
            422,
            code,
        )
    assert client.post(path(clinic.entity), json=BODY, headers=headers).status_code == 201


def test_plain_http_is_accepted_outside_production(client, clinic, auth_headers):
    answer = client.post(
        path(clinic.entity),
        json={**BODY, "url": "http://ehr.example.com:8080/x"},
        headers=auth_headers(clinic.admin),
    )
    assert answer.status_code == 201


def test_an_entity_has_at_most_twenty_endpoints(client, clinic, auth_headers):
    headers = auth_headers(clinic.admin)
    for _ in range(20):
        assert client.post(path(clinic.entity), json=BODY, headers=headers).status_code == 201
    assert error(client.post(path(clinic.entity), json=BODY, headers=headers)) == (
        409,
        "webhook_endpoint_limit",
    )


def test_a_deleted_entity_takes_no_new_endpoints(client, db, clinic, auth_headers):
    clinic.entity.active = False
    db.flush()
    assert error(client.post(path(clinic.entity), json=BODY, headers=auth_headers(clinic.admin))) == (
        409,
        "entity_inactive",
    )


def test_unauthenticated_calls_are_401(client, clinic):
    assert error(client.get(path(clinic.entity))) == (401, "not_authenticated")


def test_the_catalogue_is_in_openapi():
    from meetings.manager.app import app

    spec = app.openapi()
    assert sorted(spec["webhooks"]) == sorted(event.value for event in EventType)
    assert sorted(spec["components"]["schemas"]["EventType"]["enum"]) == sorted(e.value for e in EventType)
    operation = spec["webhooks"]["room.started"]["post"]
    assert "webhook-signature" in operation["description"]
    assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "WebhookPayload"
    )
