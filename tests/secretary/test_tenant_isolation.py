"""Every secretary endpoint: another tenant's rows answer 404 exactly like missing ids, and never appear
in lists; no endpoint but the public join and the webhook works without a backoffice token."""

import pytest

from meetings.manager.entities.models import Entity
from meetings.secretary.participants.models import RoomParticipant
from meetings.secretary.rooms.models import Room, RoomStatus
from tests.factories import make_room
from tests.secretary.helpers import add_to_room

NEW_CLIENT = {"participant": {"name": "Intruder", "type": "CLIENT", "phone_number": "+5511900000001"}}

# (method, path template, body) — {room} and {participant} are the other tenant's.
ENDPOINTS = [
    ("GET", "/v1/rooms/{room}", None),
    ("PATCH", "/v1/rooms/{room}", {"title": "Taken over"}),
    ("POST", "/v1/rooms/{room}/cancel", None),
    ("POST", "/v1/rooms/{room}/end", None),
    ("DELETE", "/v1/rooms/{room}", None),
    ("GET", "/v1/rooms/{room}/participants", None),
    ("POST", "/v1/rooms/{room}/participants", NEW_CLIENT),
    ("POST", "/v1/rooms/{room}/participants/{participant}/reissue", None),
    ("DELETE", "/v1/rooms/{room}/participants/{participant}", None),
    ("GET", "/v1/rooms/{room}/events", None),
    ("GET", "/v1/rooms/{room}/agent-events", None),
    ("GET", "/v1/rooms/{room}/transcript", None),
    ("GET", "/v1/participants/{participant}", None),
    ("PATCH", "/v1/participants/{participant}", {"name": "Renamed"}),
    ("DELETE", "/v1/participants/{participant}", None),
]
LISTS = ["/v1/rooms", "/v1/participants"]


@pytest.fixture(params=[RoomStatus.SCHEDULED, RoomStatus.ACTIVE, RoomStatus.CANCELED])
def foreign(request, db, entity):
    """A room of `entity` (not the intruder's) with one participant, in several statuses."""
    room = make_room(db, entity=entity, status=request.param)
    return room, add_to_room(db, room)


def call(client, method, template, body, room_id, participant_id, headers):
    path = template.format(room=room_id, participant=participant_id)
    return client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "template", "body"), ENDPOINTS)
def test_another_tenants_rows_are_404_like_missing_ones(
    client, auth_headers, other_admin, db, foreign, method, template, body
):
    room, link = foreign
    headers = auth_headers(other_admin)
    theirs = call(client, method, template, body, room.id, link.participant_id, headers)
    missing = call(client, method, template, body, "00000000-0000-4000-8000-000000000000", 999999999, headers)
    assert theirs.status_code == 404, theirs.text
    assert missing.status_code == 404
    assert theirs.json()["error"]["code"] == missing.json()["error"]["code"]
    db.refresh(room)
    assert room.title != "Taken over" and db.get(RoomParticipant, link.id) is not None


@pytest.mark.parametrize(("method", "template", "body"), ENDPOINTS)
def test_independent_rooms_are_hidden_from_entity_admins(
    client, auth_headers, admin, db, method, template, body
):
    room = make_room(db, entity=None)
    link = add_to_room(db, room)
    answer = call(client, method, template, body, room.id, link.participant_id, auth_headers(admin))
    assert answer.status_code == 404


@pytest.mark.parametrize("path", LISTS)
def test_lists_never_show_another_tenants_rows(client, auth_headers, other_admin, db, foreign, path):
    room, link = foreign
    listed = client.get(path, params={"limit": 200}, headers=auth_headers(other_admin)).json()
    ids = {item["id"] for item in listed["items"]}
    assert room.id not in ids and link.participant_id not in ids


def test_lists_filtered_by_another_entity_are_empty(client, auth_headers, other_admin, entity, db):
    make_room(db, entity=entity)
    assert (
        client.get(f"/v1/rooms?entity_id={entity.id}", headers=auth_headers(other_admin)).json()["total"] == 0
    )


def test_a_foreign_participant_cannot_be_added_by_id(client, auth_headers, other_admin, db, foreign):
    _, link = foreign
    own_room = make_room(db, entity=db.get(Entity, other_admin.entity_id))
    answer = client.post(
        f"/v1/rooms/{own_room.id}/participants",
        json={"participant_id": link.participant_id},
        headers=auth_headers(other_admin),
    )
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "participant_not_found"


def test_managers_see_every_tenant(client, auth_headers, manager, db, foreign):
    room, link = foreign
    assert client.get(f"/v1/rooms/{room.id}", headers=auth_headers(manager)).status_code == 200
    assert (
        client.get(f"/v1/participants/{link.participant_id}", headers=auth_headers(manager)).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("method", "template", "body"),
    [*ENDPOINTS, ("POST", "/v1/rooms", None), ("POST", "/v1/participants", None)],
)
def test_every_backoffice_endpoint_needs_a_token(client, db, method, template, body):
    room = make_room(db)
    link = add_to_room(db, room)
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}):
        answer = call(client, method, template, body, room.id, link.participant_id, headers)
        assert answer.status_code == 401, (template, headers)
    assert db.get(Room, room.id) is not None


# ---- body fields that name or find a row ---------------------------------------------------------

FREE = {
    "phone": "+5511900000999",
    "external_id": "crm-free",
    "department": 999999999,
    "professional": 999999999,
}

# (method, path, body): {own_room} is the intruder's; the other placeholders are the victim's values, or
# free/missing ones for the reference answer.
BODY_FIELDS = [
    (
        "POST",
        "/v1/rooms",
        {"title": "T", "scheduled_at": "2099-01-01T10:00:00Z", "department_id": "{department}"},
    ),
    ("PATCH", "/v1/rooms/{own_room}", {"department_id": "{department}"}),
    ("POST", "/v1/rooms/{own_room}/participants", {"participant_id": "{participant}"}),
    (
        "POST",
        "/v1/rooms/{own_room}/participants",
        {"participant": {"name": "New", "type": "CLIENT", "phone_number": "{phone}"}},
    ),
    (
        "POST",
        "/v1/rooms/{own_room}/participants",
        {
            "participant": {
                "name": "New",
                "type": "CLIENT",
                "phone_number": "+5511900000998",
                "external_id": "{external_id}",
            }
        },
    ),
    (
        "POST",
        "/v1/rooms/{own_room}/participants",
        # another type than the victim's row: a mismatch must not confirm the id exists
        {
            "participant": {
                "name": "New",
                "type": "AGENT",
                "phone_number": "+5511900000997",
                "external_id": "{external_id}",
            }
        },
    ),
    (
        "POST",
        "/v1/rooms/{own_room}/participants",
        {
            "participant": {
                "name": "New",
                "type": "PROFESSIONAL",
                "phone_number": "{professional_phone}",
                "professional_id": "{professional}",
            }
        },
    ),
    (
        "POST",
        "/v1/participants",
        {
            "name": "New",
            "type": "PROFESSIONAL",
            "phone_number": "+5511900000996",
            "professional_id": "{professional}",
        },
    ),
    ("PATCH", "/v1/participants/{own_participant}", {"external_id": "{external_id}"}),
]


def fill(template, values: dict):
    if isinstance(template, str):
        key = template[1:-1]
        if template.startswith("{") and template.endswith("}") and key in values:
            return values[key]
        return template.format(**values)
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    return template


@pytest.fixture
def victim(db, entity):
    """Entity's client (phone + external id), a department and a professional with its participant."""
    from tests.factories import link_professional, make_department, make_participant, make_professional, phone

    room = make_room(db, entity=entity)
    patient = make_participant(db, entity_id=entity.id, external_id="crm-victim", email="victim@example.com")
    add_to_room(db, room, patient)
    professional = make_professional(db)
    link_professional(db, professional, entity)
    doctor = make_participant(
        db, type="PROFESSIONAL", professional_id=professional.id, phone_number=phone(), entity_id=entity.id
    )
    add_to_room(db, room, doctor)
    return {
        "participant": patient.id,
        "phone": patient.phone_number,
        "external_id": patient.external_id,
        "department": make_department(db, entity).id,
        "professional": professional.id,
        "professional_phone": doctor.phone_number,
        "names": {patient.name, doctor.name},
    }


@pytest.mark.parametrize(("method", "template", "body"), BODY_FIELDS)
def test_body_fields_naming_another_tenants_rows_answer_like_free_values(
    client, auth_headers, other_admin, db, victim, method, template, body
):
    from tests.factories import make_participant

    own_entity = db.get(Entity, other_admin.entity_id)
    headers = auth_headers(other_admin)
    answers = []
    for values in (victim, {**victim, **FREE, "professional_phone": "+5511900000995"}):
        own_room = make_room(db, entity=own_entity)
        own_participant = add_to_room(db, own_room, make_participant(db, entity_id=own_entity.id))
        ids = {**values, "own_room": own_room.id, "own_participant": own_participant.participant_id}
        answers.append(client.request(method, fill(template, ids), json=fill(body, ids), headers=headers))
    theirs, free = answers
    assert theirs.status_code == free.status_code, (theirs.text, free.text)
    if theirs.status_code >= 400:
        assert theirs.json()["error"]["code"] == free.json()["error"]["code"]
        assert theirs.json()["error"]["details"] == free.json()["error"]["details"]
    else:
        shown = theirs.json().get("participant", theirs.json())
        assert shown.get("id") not in (victim["participant"],) and shown.get("name") not in victim["names"]
        assert shown.get("email") != "victim@example.com"
