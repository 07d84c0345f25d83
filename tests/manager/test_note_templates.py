"""/v1/entities/{entity_id}/note-templates: CRUD, versions, one default per entity or department, the
template in force (department, entity, built-in by type), bad inputs, and another tenant's ids."""

import pytest

from tests.factories import make_department, make_entity
from tests.support.answers import error_code

SECTIONS = [
    {"key": "history", "title": "History", "instructions": "What the patient reports."},
    {"key": "plan", "title": "Plan", "instructions": "What was agreed."},
]


def url(entity, suffix: str = "") -> str:
    return f"/v1/entities/{entity.id}/note-templates{suffix}"


def create(client, headers, entity, **fields):
    body = {"name": "Follow-up", "kind": "progress_note", "sections": SECTIONS, **fields}
    return client.post(url(entity), headers=headers, json=body)


def test_a_template_is_created_read_listed_updated_and_deleted(client, clinic, auth_headers):
    headers = auth_headers(clinic.admin)

    created = create(client, headers, clinic.entity)
    assert created.status_code == 201, created.text
    template = created.json()
    assert template["version"] == 1 and template["sections"] == SECTIONS and template["is_default"] is False

    assert client.get(url(clinic.entity, f"/{template['id']}"), headers=headers).json() == template
    assert [t["id"] for t in client.get(url(clinic.entity), headers=headers).json()["items"]] == [
        template["id"]
    ]

    renamed = client.patch(url(clinic.entity, f"/{template['id']}"), headers=headers, json={"name": "Review"})
    assert renamed.json()["name"] == "Review" and renamed.json()["version"] == 1
    resectioned = client.patch(
        url(clinic.entity, f"/{template['id']}"), headers=headers, json={"sections": SECTIONS[:1]}
    )
    assert resectioned.json()["version"] == 2 and len(resectioned.json()["sections"]) == 1

    deleted = client.delete(url(clinic.entity, f"/{template['id']}"), headers=headers)
    assert deleted.status_code == 200 and deleted.json()["id"] == template["id"]
    assert client.get(url(clinic.entity, f"/{template['id']}"), headers=headers).status_code == 404


def test_the_built_in_template_follows_the_entity_type(db, client, manager, auth_headers):
    headers = auth_headers(manager)
    for entity_type, name, kind in [
        ("medical_clinic", "SOAP note", "progress_note"),
        ("design_agency", "Meeting minutes", "minutes"),
        ("educational_institution", "Class summary", "class_summary"),
    ]:
        entity = make_entity(db, type=entity_type)
        effective = client.get(url(entity, "/effective"), headers=headers).json()
        assert (effective["source"], effective["name"], effective["kind"]) == ("builtin", name, kind)
        assert effective["template_id"] is None and effective["template_ref"].startswith("builtin:")


def test_a_department_default_overrides_the_entity_default(db, client, clinic, auth_headers):
    headers = auth_headers(clinic.admin)
    entity_default = create(client, headers, clinic.entity, name="Clinic note", is_default=True).json()
    department_default = create(
        client,
        headers,
        clinic.entity,
        name="Cardio note",
        is_default=True,
        department_id=clinic.department.id,
    ).json()
    other_department = make_department(db, clinic.entity)

    def effective(department=None):
        params = {"department_id": department.id} if department else None
        return client.get(url(clinic.entity, "/effective"), headers=headers, params=params).json()

    assert effective(clinic.department)["template_id"] == department_default["id"]
    assert effective(clinic.department)["source"] == "department"
    assert effective(other_department)["template_id"] == entity_default["id"]
    assert effective()["source"] == "entity"


def test_a_new_default_replaces_the_previous_one(client, clinic, auth_headers):
    headers = auth_headers(clinic.admin)
    first = create(client, headers, clinic.entity, name="First", is_default=True).json()
    second = create(client, headers, clinic.entity, name="Second", is_default=True).json()

    listed = {
        t["id"]: t["is_default"] for t in client.get(url(clinic.entity), headers=headers).json()["items"]
    }

    assert listed == {first["id"]: False, second["id"]: True}


def test_a_room_ending_copies_the_template_in_force(db, client, clinic, auth_headers):
    from datetime import UTC, datetime

    from meetings.secretary.notes.models import VisitNote
    from meetings.secretary.rooms.models import RoomStatus
    from meetings.secretary.rooms.service import mark_ended
    from tests.factories import make_room

    headers = auth_headers(clinic.admin)
    template = create(
        client, headers, clinic.entity, is_default=True, department_id=clinic.department.id
    ).json()
    room = make_room(db, clinic.entity, clinic.department, status=RoomStatus.ACTIVE)

    mark_ended(db=db, room=room, at=datetime.now(UTC), reason="ended_by_organizer")
    client.patch(url(clinic.entity, f"/{template['id']}"), headers=headers, json={"sections": SECTIONS[:1]})

    note = db.query(VisitNote).filter_by(room_id=room.id).one()
    assert note.template_ref == f"template:{template['id']}" and note.template_version == 1
    assert note.template_sections == SECTIONS and note.template_name == "Follow-up"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"sections": []}, "validation_failed"),
        ({"sections": [SECTIONS[0], SECTIONS[0]]}, "validation_failed"),
        ({"sections": [{**SECTIONS[0], "key": "Has Spaces"}]}, "validation_failed"),
        ({"sections": [{**SECTIONS[0], "instructions": ""}]}, "validation_failed"),
        ({"sections": [SECTIONS[0]] * 13}, "validation_failed"),
        ({"kind": "poem"}, "validation_failed"),
        ({"name": ""}, "validation_failed"),
        ({"name": "x" * 101}, "validation_failed"),
        ({"surprise": True}, "validation_failed"),
    ],
)
def test_bad_templates_are_422(client, clinic, auth_headers, fields, code):
    answer = create(client, auth_headers(clinic.admin), clinic.entity, **fields)
    assert answer.status_code == 422 and error_code(answer) == code


def test_a_taken_name_is_409_whatever_its_case(client, clinic, auth_headers):
    headers = auth_headers(clinic.admin)
    create(client, headers, clinic.entity, name="Follow-up")
    answer = create(client, headers, clinic.entity, name="FOLLOW-UP")
    assert answer.status_code == 409 and error_code(answer) == "note_template_name_taken"


def test_another_entitys_department_reads_as_missing(client, clinic, other_clinic, auth_headers):
    answer = create(
        client, auth_headers(clinic.admin), clinic.entity, department_id=other_clinic.department.id
    )
    assert answer.status_code == 404 and error_code(answer) == "department_not_found"


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("post", "", {"name": "Intruder", "kind": "minutes", "sections": SECTIONS}),
        ("get", "/effective", None),
        ("get", "/{template}", None),
        ("patch", "/{template}", {"name": "Renamed"}),
        ("delete", "/{template}", None),
    ],
)
def test_another_tenant_sees_nothing(client, clinic, other_clinic, auth_headers, method, suffix, body):
    template = create(client, auth_headers(clinic.admin), clinic.entity).json()
    path = url(clinic.entity, suffix.format(template=template["id"]))
    kwargs = {"json": body} if body is not None else {}

    answer = getattr(client, method)(path, headers=auth_headers(other_clinic.admin), **kwargs)

    assert answer.status_code == 404 and error_code(answer) == "entity_not_found"
    kept = client.get(url(clinic.entity, f"/{template['id']}"), headers=auth_headers(clinic.admin)).json()
    assert kept["name"] == "Follow-up"


def test_a_template_of_another_entity_reads_as_missing_under_mine(
    client, clinic, other_clinic, auth_headers, manager
):
    theirs = create(client, auth_headers(other_clinic.admin), other_clinic.entity).json()
    answer = client.get(url(clinic.entity, f"/{theirs['id']}"), headers=auth_headers(manager))
    assert answer.status_code == 404 and error_code(answer) == "note_template_not_found"
