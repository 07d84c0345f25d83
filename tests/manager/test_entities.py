"""Entities CRUD: manager-only create/delete, validation, unique names, and the deletion cascade."""

from datetime import UTC, datetime

import pytest

from meetings.manager.departments.models import Department
from meetings.manager.entities.models import Entity
from meetings.manager.knowledge.models import KnowledgeChunk, KnowledgeDocument
from meetings.manager.professionals.models import ProfessionalEntity
from meetings.manager.users.models import User
from meetings.secretary.agent_usage.models import AgentUsage
from meetings.secretary.rooms.models import Room, RoomStatus
from tests.factories import link_professional, make_entity, make_professional, make_room, unique
from tests.manager.builders import make_agent, make_knowledge, make_usage
from tests.support.answers import error_code, field_codes

NEW_ENTITY = {"type": "design_agency", "max_participants": 12, "recording_retention_days": 90}


def test_manager_creates_reads_and_updates_an_entity(client, manager, auth_headers):
    headers = auth_headers(manager)
    created = client.post("/v1/entities", json={"name": "  Studio Norte ", **NEW_ENTITY}, headers=headers)

    assert created.status_code == 201, created.text
    entity = created.json()
    assert entity | {"id": 0, "created_at": "", "updated_at": ""} == {
        "id": 0,
        "name": "Studio Norte",
        "default_instructions": None,
        "waiting_room": False,  # an agency: no waiting room unless asked
        "active": True,
        "created_at": "",
        "updated_at": "",
        **NEW_ENTITY,
    }
    assert client.get(f"/v1/entities/{entity['id']}", headers=headers).json() == entity

    patched = client.patch(
        f"/v1/entities/{entity['id']}", json={"default_instructions": "Be brief."}, headers=headers
    )
    assert patched.json()["default_instructions"] == "Be brief."
    assert patched.json()["max_participants"] == 12
    cleared = client.patch(
        f"/v1/entities/{entity['id']}", json={"default_instructions": None}, headers=headers
    )
    assert cleared.json()["default_instructions"] is None


def test_defaults_apply(client, manager, auth_headers):
    entity = client.post(
        "/v1/entities",
        json={"name": unique("Clinic"), "type": "medical_clinic"},
        headers=auth_headers(manager),
    ).json()
    assert (entity["max_participants"], entity["recording_retention_days"]) == (50, 30)


def test_entity_admin_reads_and_patches_own_entity_but_cannot_create_or_delete(client, clinic, auth_headers):
    headers = auth_headers(clinic.admin)
    assert client.get(f"/v1/entities/{clinic.entity.id}", headers=headers).status_code == 200
    assert (
        client.patch(
            f"/v1/entities/{clinic.entity.id}", json={"max_participants": 8}, headers=headers
        ).json()["max_participants"]
        == 8
    )

    created = client.post("/v1/entities", json={"name": unique("X"), "type": "t"}, headers=headers)
    deleted = client.delete(f"/v1/entities/{clinic.entity.id}", headers=headers)
    assert (created.status_code, error_code(created)) == (403, "forbidden_role")
    assert (deleted.status_code, error_code(deleted)) == (403, "forbidden_role")


def test_active_names_are_unique_case_insensitively(client, db, manager, clinic, auth_headers):
    headers = auth_headers(manager)
    taken = client.post(
        "/v1/entities", json={"name": clinic.entity.name.upper(), "type": "t"}, headers=headers
    )
    assert (taken.status_code, error_code(taken)) == (409, "entity_name_taken")

    other = make_entity(db)
    renamed = client.patch(f"/v1/entities/{other.id}", json={"name": clinic.entity.name}, headers=headers)
    assert (renamed.status_code, error_code(renamed)) == (409, "entity_name_taken")

    client.delete(f"/v1/entities/{clinic.entity.id}", headers=headers)
    reused = client.post("/v1/entities", json={"name": clinic.entity.name, "type": "t"}, headers=headers)
    assert reused.status_code == 201


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"name": ""}, "name", "string_too_short"),
        ({"name": "x" * 201}, "name", "string_too_long"),
        ({"type": "x" * 101}, "type", "string_too_long"),
        ({"default_instructions": "x" * 8001}, "default_instructions", "string_too_long"),
        ({"max_participants": 1}, "max_participants", "greater_than_equal"),
        ({"max_participants": 1001}, "max_participants", "less_than_equal"),
        ({"recording_retention_days": 60}, "recording_retention_days", "literal_error"),
        ({"active": False}, "active", "extra_forbidden"),
    ],
)
def test_create_and_patch_reject_bad_input(client, manager, clinic, auth_headers, fields, field, code):
    headers = auth_headers(manager)
    body = {"name": unique("Clinic"), "type": "medical_clinic", **fields}
    assert field_codes(client.post("/v1/entities", json=body, headers=headers))[field] == code
    assert (
        field_codes(client.patch(f"/v1/entities/{clinic.entity.id}", json=fields, headers=headers))[field]
        == code
    )


def test_patch_rejects_null_for_required_fields(client, manager, clinic, auth_headers):
    response = client.patch(
        f"/v1/entities/{clinic.entity.id}", json={"name": None}, headers=auth_headers(manager)
    )
    assert field_codes(response)["name"] == "string_type"


def test_instructions_of_exactly_8000_characters_are_accepted(client, manager, clinic, auth_headers):
    response = client.patch(
        f"/v1/entities/{clinic.entity.id}",
        json={"default_instructions": "x" * 8000},
        headers=auth_headers(manager),
    )
    assert response.status_code == 200


def test_list_filters_and_pages(client, db, manager, auth_headers):
    kind = unique("kind")
    entities = [make_entity(db, type=kind, name=unique("Needle")) for _ in range(3)]
    entities[1].active = False
    db.flush()
    headers = auth_headers(manager)

    by_type = client.get("/v1/entities", params={"type": kind}, headers=headers).json()
    active = client.get("/v1/entities", params={"type": kind, "active": True}, headers=headers).json()
    page = client.get("/v1/entities", params={"type": kind, "limit": 1, "offset": 1}, headers=headers).json()
    searched = client.get("/v1/entities", params={"q": entities[2].name.lower()}, headers=headers).json()

    assert [item["id"] for item in by_type["items"]] == [entity.id for entity in entities]
    assert [item["id"] for item in active["items"]] == [entities[0].id, entities[2].id]
    assert (page["total"], [item["id"] for item in page["items"]]) == (3, [entities[1].id])
    assert [item["id"] for item in searched["items"]] == [entities[2].id]


def test_a_listed_entity_reads_as_it_does_alone(client, db, manager, auth_headers):
    """The list reads the entities' columns, the single read the mapped entity: the same JSON."""
    kind = unique("kind")
    entities = [
        make_entity(db, type=kind, default_instructions="Be brief."),
        make_entity(db, type=kind, waiting_room=True, active=False),
    ]
    headers = auth_headers(manager)

    listed = client.get("/v1/entities", params={"type": kind}, headers=headers)

    alone = [client.get(f"/v1/entities/{entity.id}", headers=headers).json() for entity in entities]
    assert listed.status_code == 200
    assert listed.json() == {"items": alone, "total": 2, "limit": 50, "offset": 0}


def test_search_treats_wildcards_literally(client, db, manager, auth_headers):
    make_entity(db, name=unique("Plain"))
    response = client.get("/v1/entities", params={"q": "%"}, headers=auth_headers(manager)).json()
    assert all("%" in item["name"] for item in response["items"])


def test_delete_cascades_in_one_transaction_and_keeps_history(
    client, db, manager, clinic, other_clinic, auth_headers
):
    entity, department = clinic.entity, clinic.department
    professional = make_professional(db)
    link = link_professional(db, professional, entity, department)
    other_link = link_professional(db, professional, other_clinic.entity)
    document, chunk = make_knowledge(db, entity, department)
    other_document, other_chunk = make_knowledge(db, other_clinic.entity)
    future = make_room(db, entity, department)
    running = make_room(db, entity, status=RoomStatus.ACTIVE)
    past = make_room(db, entity, status=RoomStatus.COMPLETED)
    other_future = make_room(db, other_clinic.entity)
    usage = make_usage(db, past, make_agent(db), datetime.now(UTC), 10, total_tokens_input=5)
    deleted_ids = (chunk.id, document.id)
    token_version = clinic.admin.token_version

    response = client.delete(f"/v1/entities/{entity.id}", headers=auth_headers(manager))

    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["entity"]["active"] is False
    assert {key: value for key, value in summary.items() if key != "entity"} == {
        "departments_deactivated": 1,
        "professional_links_deactivated": 1,
        "users_deactivated": 1,
        "knowledge_chunks_deleted": 1,
        "knowledge_documents_deleted": 1,
        "rooms_canceled": 1,
    }
    db.expire_all()
    assert db.get(Entity, entity.id).active is False
    assert db.get(Department, department.id).active is False
    assert db.get(User, clinic.admin.id).active is False
    assert db.get(User, clinic.admin.id).token_version == token_version + 1  # its tokens end for good
    assert (db.get(ProfessionalEntity, link.id).active, db.get(ProfessionalEntity, other_link.id).active) == (
        False,
        True,
    )
    assert (
        db.get(KnowledgeChunk, deleted_ids[0]) is None and db.get(KnowledgeDocument, deleted_ids[1]) is None
    )
    assert (
        db.get(KnowledgeChunk, other_chunk.id) is not None
        and db.get(KnowledgeDocument, other_document.id) is not None
    )
    statuses = {
        room_id: db.get(Room, room_id).status for room_id in (future.id, running.id, past.id, other_future.id)
    }
    assert statuses == {
        future.id: RoomStatus.CANCELED,
        running.id: RoomStatus.ACTIVE,
        past.id: RoomStatus.COMPLETED,
        other_future.id: RoomStatus.SCHEDULED,
    }
    assert db.get(AgentUsage, usage.id) is not None
    assert db.get(User, other_clinic.admin.id).active is True


def test_deleted_entity_is_read_only_and_deleting_again_changes_nothing(
    client, manager, clinic, auth_headers
):
    headers = auth_headers(manager)
    client.delete(f"/v1/entities/{clinic.entity.id}", headers=headers)

    patched = client.patch(f"/v1/entities/{clinic.entity.id}", json={"max_participants": 5}, headers=headers)
    again = client.delete(f"/v1/entities/{clinic.entity.id}", headers=headers)

    assert (patched.status_code, error_code(patched)) == (409, "entity_inactive")
    assert again.status_code == 200 and again.json()["departments_deactivated"] == 0
    assert client.get(f"/v1/entities/{clinic.entity.id}", headers=headers).json()["active"] is False


def test_missing_entity_is_404(client, manager, auth_headers):
    response = client.get("/v1/entities/999999", headers=auth_headers(manager))
    assert (response.status_code, error_code(response)) == (404, "entity_not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/v1/entities"),
        ("post", "/v1/entities"),
        ("get", "/v1/entities/1"),
        ("patch", "/v1/entities/1"),
        ("delete", "/v1/entities/1"),
    ],
)
def test_every_entities_endpoint_requires_authentication(client, method, path):
    response = client.request(method, path, json={})
    assert (response.status_code, error_code(response)) == (401, "not_authenticated")


def test_entity_admins_cannot_raise_their_plan_limits_or_rename(client, db, clinic, auth_headers):
    headers = auth_headers(clinic.admin)
    path = f"/v1/entities/{clinic.entity.id}"
    clinic.entity.max_participants, clinic.entity.recording_retention_days = 10, 90
    db.flush()
    raised = [
        client.patch(path, json={"max_participants": 11}, headers=headers),
        client.patch(path, json={"recording_retention_days": 365}, headers=headers),
    ]
    renamed = client.patch(path, json={"name": "Any Name At All"}, headers=headers)
    lowered = client.patch(
        path, json={"max_participants": 4, "recording_retention_days": 30}, headers=headers
    )

    assert [(r.status_code, error_code(r)) for r in raised] == [(403, "plan_limit")] * 2
    assert (renamed.status_code, error_code(renamed)) == (403, "forbidden_field")
    assert lowered.status_code == 200
    assert (lowered.json()["max_participants"], lowered.json()["recording_retention_days"]) == (4, 30)


def test_a_manager_raises_plan_limits(client, manager, clinic, auth_headers):
    answer = client.patch(
        f"/v1/entities/{clinic.entity.id}",
        json={"max_participants": 900, "recording_retention_days": 365},
        headers=auth_headers(manager),
    )
    assert answer.status_code == 200 and answer.json()["max_participants"] == 900


def test_the_waiting_room_defaults_by_type_and_can_be_set(client, manager, auth_headers):
    headers = auth_headers(manager)
    clinic = client.post(
        "/v1/entities", json={"name": "Clinica Sul", "type": "medical_clinic"}, headers=headers
    )
    assert clinic.status_code == 201 and clinic.json()["waiting_room"] is True
    chosen = {"name": "Clinica Leste", "type": "medical_clinic", "waiting_room": False}
    assert client.post("/v1/entities", json=chosen, headers=headers).json()["waiting_room"] is False
    url = f"/v1/entities/{clinic.json()['id']}"
    assert client.patch(url, json={"waiting_room": False}, headers=headers).json()["waiting_room"] is False
    assert client.patch(url, json={"waiting_room": "maybe"}, headers=headers).status_code == 422
    assert client.patch(url, json={"waiting_room": None}, headers=headers).status_code == 422
