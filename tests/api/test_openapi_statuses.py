"""Each operation of each app lists the statuses it can answer, every error with the error body."""

import pytest

ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}


def _apps():
    from meetings.manager.app import app as manager
    from meetings.secretary.app import app as secretary
    from meetings.secretary.webhooks.app import app as webhooks

    return {"manager": manager, "secretary": secretary, "webhooks": webhooks}


def operations():
    for name, app in _apps().items():
        for path, methods in app.openapi()["paths"].items():
            for method, operation in methods.items():
                yield pytest.param(path, method, operation, id=f"{name} {method.upper()} {path}")


@pytest.mark.parametrize("path, method, operation", list(operations()))
def test_every_error_status_carries_the_error_body(path, method, operation):
    errors = {status: answer for status, answer in operation["responses"].items() if status[0] in "45"}
    assert errors, f"{method} {path} documents no error"
    for status, answer in errors.items():
        assert answer["content"] == ERROR_BODY, status
        assert answer["description"], status


@pytest.mark.parametrize("path, method, operation", list(operations()))
def test_statuses_follow_from_the_route(path, method, operation):
    statuses = set(operation["responses"])
    if operation.get("security"):
        assert {"401", "403"} <= statuses
    if "{" in path:
        assert "404" in statuses
    if operation.get("parameters") or operation.get("requestBody"):
        assert "422" in statuses
    if operation.get("requestBody"):
        assert "400" in statuses
    if path not in ("/join/{token}",):
        assert "503" in statuses, "every database-backed operation can find the database unavailable"


def test_the_public_join_documents_its_answers():
    spec = _apps()["secretary"].openapi()
    join = spec["paths"]["/v1/join/{token}"]["post"]["responses"]
    assert {"200", "401", "404", "409", "410", "422", "423", "502", "503"} <= set(join)
    end = spec["paths"]["/v1/join/{token}/end"]["post"]["responses"]
    assert {"401", "403", "404"} <= set(end)


def test_the_webhook_documents_its_body_and_signature_error():
    operation = _apps()["webhooks"].openapi()["paths"]["/v1/webhooks/livekit"]["post"]
    assert "application/webhook+json" in operation["requestBody"]["content"]
    assert {"200", "401", "422", "503"} <= set(operation["responses"])


def test_a_lost_database_is_a_503(api, db, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from meetings.manager.app import app
    from meetings.manager.auth import service

    def unreachable(**_):
        raise OperationalError("SELECT 1", {}, ConnectionError("server closed the connection"))

    monkeypatch.setattr(service, "login", unreachable)
    response = api(app).post("/v1/auth/login", json={"email": "a@example.com", "password": "whatever1"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"
    assert response.headers["Retry-After"] == "5"
