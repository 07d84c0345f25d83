"""Inputs beyond what the database can hold get the answer a well-formed value would get, never a 500."""

import pytest

from meetings.manager.users.models import UserRole
from tests.factories import make_entity, make_user

TOO_BIG = 2**31  # one past PostgreSQL's integer


@pytest.fixture
def manager_client(api):
    from meetings.manager.app import app

    return api(app)


@pytest.fixture
def secretary_client(api, livekit_server):
    from meetings.secretary.app import app

    return api(app)


@pytest.fixture
def as_manager(db, auth_headers):
    return auth_headers(make_user(db, role=UserRole.MANAGER))


@pytest.mark.parametrize(
    "path, code",
    [
        ("/v1/departments/{id}", "department_not_found"),
        ("/v1/entities/{id}", "entity_not_found"),
        ("/v1/users/{id}", "user_not_found"),
        ("/v1/professionals/{id}", "professional_not_found"),
        ("/v1/entities/1/knowledge-base/documents/{id}", "document_not_found"),
        ("/v1/entities/{id}/consent-texts", "entity_not_found"),
        ("/v1/entities/1/consent-texts/{id}", "consent_text_not_found"),
    ],
)
@pytest.mark.parametrize("value", [TOO_BIG, 133953086086, 0, -1])
def test_an_id_out_of_its_column_range_is_not_found(manager_client, as_manager, path, code, value):
    missing = manager_client.get(path.format(id=2**31 - 1), headers=as_manager)
    response = manager_client.get(path.format(id=value), headers=as_manager)
    assert missing.status_code == 404
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize("value", [TOO_BIG, 10**30, 0])
def test_a_reset_for_a_user_id_out_of_range_is_not_found(manager_client, as_manager, value):
    response = manager_client.post(f"/v1/users/{value}/password-reset", headers=as_manager)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "user_not_found")


def test_a_malformed_id_is_still_a_validation_error(manager_client, as_manager):
    response = manager_client.get("/v1/departments/abc", headers=as_manager)
    assert response.status_code == 422


def test_a_room_id_longer_than_its_column_is_not_found(secretary_client, as_manager):
    response = secretary_client.get("/v1/rooms/" + "r" * 256, headers=as_manager)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "room_not_found"


@pytest.mark.parametrize("offset", ["18446744073709551616", "1000001", "-1"])
def test_pagination_offsets_are_bounded(manager_client, as_manager, offset):
    response = manager_client.get(f"/v1/users?offset={offset}", headers=as_manager)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "query.offset"


def test_the_largest_offset_is_served(manager_client, as_manager):
    response = manager_client.get("/v1/users?offset=1000000", headers=as_manager)
    assert response.status_code == 200
    assert response.json()["items"] == []


@pytest.mark.parametrize(
    "url",
    [
        "/v1/users?q=%00abc",
        "/v1/entities?q=a%00",
        "/v1/entities?type=%00",
        "/v1/professionals?q=%00",
        "/v1/entities/1/departments?q=%00",
    ],
)
def test_text_filters_refuse_nul(manager_client, as_manager, url):
    response = manager_client.get(url, headers=as_manager)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["code"] == "text_not_storable"


def test_participant_filters_refuse_nul(secretary_client, as_manager):
    response = secretary_client.get("/v1/participants?external_id=%00", headers=as_manager)
    assert response.status_code == 422


@pytest.mark.parametrize(
    "body", ['{"name": "a\\u0000b", "type": "clinic"}', '{"name": "\\ud800", "type": "c"}']
)
def test_bodies_refuse_text_the_database_cannot_store(manager_client, as_manager, body):
    response = manager_client.post(
        "/v1/entities", content=body, headers={**as_manager, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_failed"
    assert response.json()["error"]["details"][0]["code"] == "text_not_storable"


def test_body_ids_are_bounded(manager_client, as_manager):
    body = {"email": "a@example.com", "password": "long enough", "phone_number": "+5511987654321"}
    response = manager_client.post(
        "/v1/users", json={**body, "role": "ENTITY_ADMIN", "entity_id": TOO_BIG}, headers=as_manager
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "entity_id"


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2100-01-01T00:00:00Z"])
def test_time_filters_stay_within_a_sane_range(manager_client, secretary_client, as_manager, value):
    usage = manager_client.get("/v1/usage", params={"to": value}, headers=as_manager)
    rooms = secretary_client.get("/v1/rooms", params={"scheduled_from": value}, headers=as_manager)
    assert usage.status_code == 422, usage.text
    assert rooms.status_code == 422, rooms.text
    assert usage.json()["error"]["details"][0]["code"] == "time_out_of_range"


def test_a_time_without_offset_is_utc(manager_client, as_manager):
    response = manager_client.get(
        "/v1/usage", params={"from": "2026-11-01T00:00:00", "to": "2026-11-02T00:00:00"}, headers=as_manager
    )
    assert response.status_code == 200, response.text


def test_a_room_cannot_be_scheduled_past_the_range(secretary_client, db, auth_headers):
    entity = make_entity(db)
    admin = make_user(db, role=UserRole.ENTITY_ADMIN, entity=entity)
    response = secretary_client.post(
        "/v1/rooms",
        json={"title": "Far", "scheduled_at": "9999-01-01T00:00:00Z"},
        headers=auth_headers(admin),
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["code"] == "time_out_of_range"


@pytest.mark.parametrize("decision", ["admit", "deny"])
def test_a_waiting_participant_id_out_of_range_is_not_found(secretary_client, decision):
    response = secretary_client.post(f"/v1/join/{'t' * 43}/participants/{TOO_BIG}/{decision}")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "participant_not_found")
