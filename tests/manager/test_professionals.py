"""Professionals: global records, admin visibility through active links, links with departments."""

import pytest

from meetings.manager.professionals.models import ProfessionalEntity
from tests.factories import link_professional, make_department, make_professional, phone, unique
from tests.support.answers import error_code, field_codes


def new_professional(**fields) -> dict:
    return {
        "name": "Dr. João Lima",
        "phone_number": phone(),
        "email": "Joao@Example.com",
        "license_number": "CRM 1",
        **fields,
    }


def test_manager_creates_gets_updates_and_deletes_a_professional(client, db, manager, clinic, auth_headers):
    headers = auth_headers(manager)
    created = client.post(
        "/v1/professionals", json=new_professional(external_id=unique("ext")), headers=headers
    )
    assert created.status_code == 201, created.text
    professional = created.json()
    assert professional["email"] == "joao@example.com" and professional["active"] is True
    assert client.get(f"/v1/professionals/{professional['id']}", headers=headers).json() == professional

    patched = client.patch(
        f"/v1/professionals/{professional['id']}",
        json={"email": None, "name": "Dr. J. Lima"},
        headers=headers,
    )
    assert (patched.json()["email"], patched.json()["name"]) == (None, "Dr. J. Lima")

    link = client.post(
        f"/v1/professionals/{professional['id']}/entities",
        json={"entity_id": clinic.entity.id},
        headers=headers,
    )
    deleted = client.delete(f"/v1/professionals/{professional['id']}", headers=headers)
    assert deleted.json()["active"] is False
    db.expire_all()
    assert db.get(ProfessionalEntity, link.json()["id"]).active is False


def test_entity_admin_creation_links_to_their_entity(client, clinic, auth_headers):
    headers = auth_headers(clinic.admin)
    created = client.post("/v1/professionals", json=new_professional(), headers=headers).json()

    links = client.get(f"/v1/professionals/{created['id']}/entities", headers=headers).json()
    assert [(link["entity_id"], link["department_id"], link["active"]) for link in links["items"]] == [
        (clinic.entity.id, None, True)
    ]
    assert client.get(f"/v1/professionals/{created['id']}", headers=headers).status_code == 200


def test_entity_admin_sees_only_actively_linked_professionals(client, db, clinic, other_clinic, auth_headers):
    mine, theirs, unlinked, former = (make_professional(db) for _ in range(4))
    link_professional(db, mine, clinic.entity)
    link_professional(db, theirs, other_clinic.entity)
    link_professional(db, former, clinic.entity).active = False
    db.flush()

    listed = client.get("/v1/professionals", params={"limit": 200}, headers=auth_headers(clinic.admin)).json()

    assert [item["id"] for item in listed["items"]] == [mine.id]
    for hidden in (theirs, unlinked, former):
        response = client.get(f"/v1/professionals/{hidden.id}", headers=auth_headers(clinic.admin))
        assert (response.status_code, error_code(response)) == (404, "professional_not_found")


def test_entity_admin_cannot_change_a_professional_shared_with_another_entity(
    client, db, clinic, other_clinic, auth_headers
):
    shared = make_professional(db)
    link_professional(db, shared, clinic.entity)
    link_professional(db, shared, other_clinic.entity)
    headers = auth_headers(clinic.admin)

    patched = client.patch(f"/v1/professionals/{shared.id}", json={"name": "Changed"}, headers=headers)
    deleted = client.delete(f"/v1/professionals/{shared.id}", headers=headers)

    assert (patched.status_code, error_code(patched)) == (403, "professional_shared")
    assert (deleted.status_code, error_code(deleted)) == (403, "professional_shared")


def test_list_filters(client, db, manager, clinic, auth_headers):
    linked = make_professional(db, name=unique("Dr. Needle"), email=f"{unique('needle')}@example.com")
    link_professional(db, linked, clinic.entity)
    inactive = make_professional(db, active=False)
    headers = auth_headers(manager)

    by_entity = client.get(
        "/v1/professionals", params={"entity_id": clinic.entity.id}, headers=headers
    ).json()
    by_name = client.get("/v1/professionals", params={"q": linked.name.lower()}, headers=headers).json()
    by_email = client.get("/v1/professionals", params={"q": linked.email}, headers=headers).json()
    by_phone = client.get("/v1/professionals", params={"q": linked.phone_number}, headers=headers).json()
    inactive_only = client.get(
        "/v1/professionals", params={"active": False, "limit": 200}, headers=headers
    ).json()

    assert [item["id"] for item in by_entity["items"]] == [linked.id]
    assert (
        [item["id"] for item in by_name["items"]] == [item["id"] for item in by_email["items"]] == [linked.id]
    )
    assert [item["id"] for item in by_phone["items"]] == [linked.id]
    assert inactive.id in {item["id"] for item in inactive_only["items"]}
    assert all(item["active"] is False for item in inactive_only["items"])


def test_an_external_id_used_by_another_entity_is_answered_like_a_free_one(
    client, db, clinic, other_clinic, auth_headers
):
    """External ids come from each organization's own systems: a clash across tenants confirms nothing."""
    theirs = client.post(
        "/v1/professionals",
        json=new_professional(external_id="crm-7"),
        headers=auth_headers(other_clinic.admin),
    )
    mine = client.post(
        "/v1/professionals", json=new_professional(external_id="crm-7"), headers=auth_headers(clinic.admin)
    )
    free = client.post(
        "/v1/professionals",
        json=new_professional(external_id=unique("crm")),
        headers=auth_headers(clinic.admin),
    )
    assert theirs.status_code == mine.status_code == free.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"name": ""}, "name", "string_too_short"),
        ({"name": "x" * 201}, "name", "string_too_long"),
        ({"email": "bad@"}, "email", "invalid_email"),
        ({"phone_number": "987654321"}, "phone_number", "invalid_phone_number"),
        ({"external_id": "x" * 255}, "external_id", "string_too_long"),
        ({"license_number": "x" * 101}, "license_number", "string_too_long"),
        ({"specialty": "x"}, "specialty", "extra_forbidden"),
    ],
)
def test_create_and_patch_reject_bad_input(client, db, manager, auth_headers, fields, field, code):
    headers = auth_headers(manager)
    professional = make_professional(db)
    assert field_codes(client.post("/v1/professionals", json=new_professional(**fields), headers=headers))[
        field
    ].startswith(code)
    assert field_codes(client.patch(f"/v1/professionals/{professional.id}", json=fields, headers=headers))[
        field
    ].startswith(code)


def test_links_to_departments_must_stay_inside_the_entity(
    client, db, manager, clinic, other_clinic, auth_headers
):
    professional = make_professional(db)
    headers = auth_headers(manager)
    path = f"/v1/professionals/{professional.id}/entities"

    linked = client.post(
        path, json={"entity_id": clinic.entity.id, "department_id": clinic.department.id}, headers=headers
    )
    duplicate = client.post(
        path, json={"entity_id": clinic.entity.id, "department_id": clinic.department.id}, headers=headers
    )
    wrong_department = client.post(
        path,
        json={"entity_id": clinic.entity.id, "department_id": other_clinic.department.id},
        headers=headers,
    )
    missing_department = client.post(
        path, json={"entity_id": clinic.entity.id, "department_id": 999_999}, headers=headers
    )
    second_department = client.post(
        path,
        json={"entity_id": clinic.entity.id, "department_id": make_department(db, clinic.entity).id},
        headers=headers,
    )
    entity_wide = client.post(path, json={"entity_id": clinic.entity.id}, headers=headers)

    assert linked.status_code == 201
    assert (duplicate.status_code, error_code(duplicate)) == (409, "link_exists")
    assert field_codes(wrong_department)["department_id"] == "department_not_in_entity"
    assert field_codes(missing_department)["department_id"] == "department_not_in_entity"
    assert second_department.status_code == entity_wide.status_code == 201

    removed = client.delete(f"{path}/{linked.json()['id']}", headers=headers)
    assert removed.json()["active"] is False
    relinked = client.post(
        path, json={"entity_id": clinic.entity.id, "department_id": clinic.department.id}, headers=headers
    )
    assert relinked.status_code == 201
    active_links = client.get(path, params={"active": True}, headers=headers).json()
    assert active_links["total"] == 3


def test_links_refuse_deleted_rows(client, db, manager, clinic, auth_headers):
    headers = auth_headers(manager)
    professional = make_professional(db)
    department = make_department(db, clinic.entity, active=False)
    path = f"/v1/professionals/{professional.id}/entities"

    inactive_department = client.post(
        path, json={"entity_id": clinic.entity.id, "department_id": department.id}, headers=headers
    )
    professional.active = False
    db.flush()
    inactive_professional = client.post(path, json={"entity_id": clinic.entity.id}, headers=headers)

    assert (inactive_department.status_code, error_code(inactive_department)) == (409, "department_inactive")
    assert (inactive_professional.status_code, error_code(inactive_professional)) == (
        409,
        "professional_inactive",
    )


def test_link_bad_input(client, db, manager, auth_headers):
    professional = make_professional(db)
    path = f"/v1/professionals/{professional.id}/entities"
    headers = auth_headers(manager)
    assert field_codes(client.post(path, json={}, headers=headers))["entity_id"] == "missing"
    assert (
        field_codes(client.post(path, json={"entity_id": "x"}, headers=headers))["entity_id"] == "int_parsing"
    )
    missing = client.post(path, json={"entity_id": 999_999}, headers=headers)
    assert (missing.status_code, error_code(missing)) == (404, "entity_not_found")


def test_a_link_of_another_professional_is_404(client, db, manager, clinic, auth_headers):
    first, second = make_professional(db), make_professional(db)
    link = link_professional(db, first, clinic.entity)
    response = client.delete(
        f"/v1/professionals/{second.id}/entities/{link.id}", headers=auth_headers(manager)
    )
    assert (response.status_code, error_code(response)) == (404, "link_not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/v1/professionals"),
        ("post", "/v1/professionals"),
        ("get", "/v1/professionals/1"),
        ("patch", "/v1/professionals/1"),
        ("delete", "/v1/professionals/1"),
        ("get", "/v1/professionals/1/entities"),
        ("post", "/v1/professionals/1/entities"),
        ("delete", "/v1/professionals/1/entities/1"),
    ],
)
def test_every_professionals_endpoint_requires_authentication(client, method, path):
    response = client.request(method, path, json={})
    assert (response.status_code, error_code(response)) == (401, "not_authenticated")
