"""Departments: create inside a visible active entity, unique names per entity, soft delete."""

import pytest

from meetings.manager.professionals.models import ProfessionalEntity
from tests.factories import link_professional, make_department, make_professional, unique
from tests.support.answers import error_code, field_codes


def test_admin_creates_lists_updates_and_deletes_a_department(client, db, clinic, auth_headers):
    headers = auth_headers(clinic.admin)
    created = client.post(
        f"/v1/entities/{clinic.entity.id}/departments",
        json={"name": "Pediatrics", "instructions": "Kids."},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    department = created.json()
    assert (department["entity_id"], department["name"], department["active"]) == (
        clinic.entity.id,
        "Pediatrics",
        True,
    )

    assert client.get(f"/v1/departments/{department['id']}", headers=headers).json() == department
    patched = client.patch(
        f"/v1/departments/{department['id']}", json={"instructions": None}, headers=headers
    ).json()
    assert (patched["name"], patched["instructions"]) == ("Pediatrics", None)

    professional = make_professional(db)
    link = link_professional(
        db, professional, clinic.entity, db.get(type(clinic.department), department["id"])
    )
    deleted = client.delete(f"/v1/departments/{department['id']}", headers=headers)
    assert deleted.status_code == 200 and deleted.json()["active"] is False
    db.expire_all()
    assert db.get(ProfessionalEntity, link.id).active is False


def test_list_filters_and_orders(client, db, clinic, auth_headers):
    extra = [make_department(db, clinic.entity, name=unique("Wing")) for _ in range(2)]
    extra[0].active = False
    db.flush()
    headers = auth_headers(clinic.admin)
    path = f"/v1/entities/{clinic.entity.id}/departments"

    everything = client.get(path, headers=headers).json()
    active = client.get(path, params={"active": True}, headers=headers).json()
    searched = client.get(path, params={"q": extra[1].name.upper()}, headers=headers).json()

    assert [item["id"] for item in everything["items"]] == [clinic.department.id, extra[0].id, extra[1].id]
    assert [item["id"] for item in active["items"]] == [clinic.department.id, extra[1].id]
    assert [item["id"] for item in searched["items"]] == [extra[1].id]


def test_names_are_unique_among_active_departments_of_one_entity(
    client, clinic, other_clinic, manager, auth_headers
):
    headers = auth_headers(manager)
    name = clinic.department.name
    taken = client.post(
        f"/v1/entities/{clinic.entity.id}/departments", json={"name": name.lower()}, headers=headers
    )
    elsewhere = client.post(
        f"/v1/entities/{other_clinic.entity.id}/departments", json={"name": name}, headers=headers
    )
    renamed = client.patch(
        f"/v1/departments/{other_clinic.department.id}",
        json={"name": elsewhere.json()["name"]},
        headers=headers,
    )

    assert (taken.status_code, error_code(taken)) == (409, "department_name_taken")
    assert elsewhere.status_code == 201
    assert (renamed.status_code, error_code(renamed)) == (409, "department_name_taken")

    client.delete(f"/v1/departments/{clinic.department.id}", headers=headers)
    assert (
        client.post(
            f"/v1/entities/{clinic.entity.id}/departments", json={"name": name}, headers=headers
        ).status_code
        == 201
    )


def test_departments_of_deleted_entities_or_deleted_departments_are_read_only(
    client, manager, clinic, auth_headers
):
    headers = auth_headers(manager)
    client.delete(f"/v1/entities/{clinic.entity.id}", headers=headers)
    created = client.post(
        f"/v1/entities/{clinic.entity.id}/departments", json={"name": "New"}, headers=headers
    )
    patched = client.patch(f"/v1/departments/{clinic.department.id}", json={"name": "New"}, headers=headers)
    assert (created.status_code, error_code(created)) == (409, "entity_inactive")
    assert (patched.status_code, error_code(patched)) == (409, "department_inactive")


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"name": ""}, "name", "string_too_short"),
        ({"name": "x" * 101}, "name", "string_too_long"),
        ({"name": "Ok", "instructions": "x" * 8001}, "instructions", "string_too_long"),
        ({"name": "Ok", "entity_id": 3}, "entity_id", "extra_forbidden"),
    ],
)
def test_create_and_patch_reject_bad_input(client, clinic, auth_headers, body, field, code):
    headers = auth_headers(clinic.admin)
    assert (
        field_codes(client.post(f"/v1/entities/{clinic.entity.id}/departments", json=body, headers=headers))[
            field
        ]
        == code
    )
    assert (
        field_codes(client.patch(f"/v1/departments/{clinic.department.id}", json=body, headers=headers))[
            field
        ]
        == code
    )


def test_create_requires_a_name(client, clinic, auth_headers):
    response = client.post(
        f"/v1/entities/{clinic.entity.id}/departments", json={}, headers=auth_headers(clinic.admin)
    )
    assert field_codes(response)["name"] == "missing"


def test_missing_ids_are_404(client, manager, auth_headers):
    headers = auth_headers(manager)
    assert error_code(client.get("/v1/departments/999999", headers=headers)) == "department_not_found"
    assert error_code(client.get("/v1/entities/999999/departments", headers=headers)) == "entity_not_found"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/v1/entities/1/departments"),
        ("post", "/v1/entities/1/departments"),
        ("get", "/v1/departments/1"),
        ("patch", "/v1/departments/1"),
        ("delete", "/v1/departments/1"),
    ],
)
def test_every_departments_endpoint_requires_authentication(client, method, path):
    response = client.request(method, path, json={})
    assert (response.status_code, error_code(response)) == (401, "not_authenticated")
