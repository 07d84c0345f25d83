"""Users CRUD: role rules, password hashing, soft delete, uniqueness, validation and auth."""

import pytest

from meetings.identity.passwords import verify_password
from meetings.identity.roles import UserRole
from meetings.manager.users.models import User
from tests.factories import make_user, phone, unique
from tests.support.answers import error_code, field_codes


def new_user(**fields) -> dict:
    return {
        "email": f"{unique('new')}@example.com",
        "password": "a long passphrase",
        "phone_number": phone(),
        "role": "ENTITY_ADMIN",
        **fields,
    }


def test_manager_creates_an_entity_admin_with_a_hashed_password(client, db, manager, clinic, auth_headers):
    body = new_user(entity_id=clinic.entity.id, email="Mixed.Case@Example.com")

    response = client.post("/v1/users", json=body, headers=auth_headers(manager))

    assert response.status_code == 201, response.text
    created = response.json()
    assert "password" not in created
    assert (created["email"], created["entity_id"], created["active"]) == (
        "mixed.case@example.com",
        clinic.entity.id,
        True,
    )
    stored = db.get(User, created["id"])
    assert stored.password != body["password"] and verify_password(body["password"], stored.password)


def test_manager_creates_a_manager_without_entity(client, manager, auth_headers):
    response = client.post("/v1/users", json=new_user(role="MANAGER"), headers=auth_headers(manager))
    assert response.status_code == 201
    assert response.json()["entity_id"] is None


def test_entity_admin_creates_admins_of_their_own_entity_only(client, clinic, other_clinic, auth_headers):
    headers = auth_headers(clinic.admin)

    own = client.post("/v1/users", json=new_user(), headers=headers)
    other = client.post("/v1/users", json=new_user(entity_id=other_clinic.entity.id), headers=headers)
    boss = client.post("/v1/users", json=new_user(role="MANAGER"), headers=headers)

    assert own.status_code == 201 and own.json()["entity_id"] == clinic.entity.id
    assert (other.status_code, error_code(other)) == (404, "entity_not_found")
    assert (boss.status_code, error_code(boss)) == (403, "forbidden_role")


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"role": "MANAGER", "entity_id": "ENTITY"}, "entity_not_allowed"),
        ({"role": "ENTITY_ADMIN"}, "entity_required"),
    ],
)
def test_role_and_entity_must_agree(client, manager, clinic, auth_headers, fields, code):
    if fields.get("entity_id") == "ENTITY":
        fields = {**fields, "entity_id": clinic.entity.id}
    response = client.post("/v1/users", json=new_user(**fields), headers=auth_headers(manager))
    assert field_codes(response)["entity_id"] == code


def test_users_of_a_deleted_or_missing_entity_cannot_be_created(client, db, manager, clinic, auth_headers):
    clinic.entity.active = False
    db.flush()
    inactive = client.post(
        "/v1/users", json=new_user(entity_id=clinic.entity.id), headers=auth_headers(manager)
    )
    missing = client.post("/v1/users", json=new_user(entity_id=999_999), headers=auth_headers(manager))
    assert (inactive.status_code, error_code(inactive)) == (409, "entity_inactive")
    assert (missing.status_code, error_code(missing)) == (404, "entity_not_found")


def test_email_taken_answers_409(client, manager, auth_headers):
    response = client.post(
        "/v1/users", json=new_user(role="MANAGER", email=manager.email.upper()), headers=auth_headers(manager)
    )
    assert (response.status_code, error_code(response)) == (409, "email_taken")
    # The session is still usable after the rejected insert.
    assert client.get(f"/v1/users/{manager.id}", headers=auth_headers(manager)).status_code == 200


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"email": "nope"}, "email", "invalid_email"),
        ({"phone_number": "11987654321"}, "phone_number", "invalid_phone_number"),
        ({"phone_number": "+55 11 98765-4321"}, "phone_number", "invalid_phone_number"),
        ({"password": "short"}, "password", "string_too_short"),
        ({"password": "ü" * 40}, "password", "password_too_long"),
        ({"role": "ROOT"}, "role", "enum"),
        ({"nickname": "x"}, "nickname", "extra_forbidden"),
    ],
)
def test_create_rejects_bad_input(client, manager, clinic, auth_headers, fields, field, code):
    response = client.post(
        "/v1/users", json=new_user(entity_id=clinic.entity.id, **fields), headers=auth_headers(manager)
    )
    assert field_codes(response)[field] == code


def test_patch_rehashes_the_password_and_login_uses_it(client, db, clinic, auth_headers):
    response = client.patch(
        f"/v1/users/{clinic.admin.id}",
        json={"password": "brand new passphrase", "current_password": "correct horse battery staple"},
        headers=auth_headers(clinic.admin),
    )
    assert response.status_code == 200, response.text
    db.refresh(clinic.admin)
    assert verify_password("brand new passphrase", clinic.admin.password)
    login = client.post(
        "/v1/auth/login", json={"email": clinic.admin.email, "password": "brand new passphrase"}
    )
    assert login.status_code == 200


def test_patch_changes_only_sent_fields(client, clinic, auth_headers):
    new_phone = phone()
    response = client.patch(
        f"/v1/users/{clinic.admin.id}", json={"phone_number": new_phone}, headers=auth_headers(clinic.admin)
    )
    assert response.json()["phone_number"] == new_phone
    assert response.json()["email"] == clinic.admin.email


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"role": "MANAGER"}, "role", "extra_forbidden"),
        ({"entity_id": 1}, "entity_id", "extra_forbidden"),
        ({"email": None}, "email", "string_type"),
        ({"active": "maybe"}, "active", "bool_parsing"),
    ],
)
def test_patch_rejects_bad_input(client, manager, clinic, auth_headers, body, field, code):
    response = client.patch(f"/v1/users/{clinic.admin.id}", json=body, headers=auth_headers(manager))
    assert field_codes(response)[field] == code


def test_delete_is_soft_and_blocks_login(client, db, manager, clinic, auth_headers):
    response = client.delete(f"/v1/users/{clinic.admin.id}", headers=auth_headers(manager))

    assert response.status_code == 200 and response.json()["active"] is False
    assert db.get(User, clinic.admin.id) is not None
    login = client.post(
        "/v1/auth/login", json={"email": clinic.admin.email, "password": "correct horse battery staple"}
    )
    assert login.status_code == 401


def test_users_cannot_deactivate_themselves(client, manager, auth_headers):
    headers = auth_headers(manager)
    for response in (
        client.delete(f"/v1/users/{manager.id}", headers=headers),
        client.patch(f"/v1/users/{manager.id}", json={"active": False}, headers=headers),
    ):
        assert (response.status_code, error_code(response)) == (409, "cannot_deactivate_self")


def test_list_filters_paginates_and_sorts_by_id(client, db, manager, clinic, other_clinic, auth_headers):
    extra = [make_user(db, role=UserRole.ENTITY_ADMIN, entity=clinic.entity) for _ in range(3)]
    extra[0].active = False
    db.flush()
    headers = auth_headers(manager)

    page = client.get("/v1/users", params={"entity_id": clinic.entity.id, "limit": 2}, headers=headers).json()
    active = client.get(
        "/v1/users", params={"entity_id": clinic.entity.id, "active": True}, headers=headers
    ).json()
    managers = client.get("/v1/users", params={"role": "MANAGER", "limit": 200}, headers=headers).json()
    searched = client.get("/v1/users", params={"q": extra[1].email.upper()}, headers=headers).json()
    by_phone = client.get("/v1/users", params={"q": extra[2].phone_number}, headers=headers).json()

    ids = [clinic.admin.id, *(user.id for user in extra)]
    assert page["total"] == 4 and [item["id"] for item in page["items"]] == sorted(ids)[:2]
    assert {item["id"] for item in active["items"]} == set(ids) - {extra[0].id}
    assert all(item["role"] == "MANAGER" for item in managers["items"]) and manager.id in {
        i["id"] for i in managers["items"]
    }
    assert [item["id"] for item in searched["items"]] == [extra[1].id]
    assert [item["id"] for item in by_phone["items"]] == [extra[2].id]


def test_entity_admin_lists_only_their_entity(client, manager, clinic, other_clinic, auth_headers):
    listed = client.get("/v1/users", params={"limit": 200}, headers=auth_headers(clinic.admin)).json()
    assert {item["entity_id"] for item in listed["items"]} == {clinic.entity.id}


@pytest.mark.parametrize("limit", [0, 201, "x"])
def test_list_rejects_bad_pagination(client, manager, auth_headers, limit):
    assert field_codes(client.get("/v1/users", params={"limit": limit}, headers=auth_headers(manager)))[
        "query.limit"
    ]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/v1/users"),
        ("post", "/v1/users"),
        ("get", "/v1/users/1"),
        ("patch", "/v1/users/1"),
        ("delete", "/v1/users/1"),
    ],
)
def test_every_users_endpoint_requires_authentication(client, method, path):
    response = client.request(method, path, json={})
    assert (response.status_code, error_code(response)) == (401, "not_authenticated")


def test_patch_to_a_taken_email_answers_409(client, db, manager, clinic, auth_headers):
    response = client.patch(
        f"/v1/users/{clinic.admin.id}", json={"email": manager.email}, headers=auth_headers(manager)
    )
    assert (response.status_code, error_code(response)) == (409, "email_taken")
    db.refresh(clinic.admin)
    assert clinic.admin.email != manager.email


def test_entity_admin_cannot_see_or_change_managers(client, manager, clinic, auth_headers):
    response = client.patch(
        f"/v1/users/{manager.id}", json={"password": "take over now"}, headers=auth_headers(clinic.admin)
    )
    assert (response.status_code, error_code(response)) == (404, "user_not_found")
