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
