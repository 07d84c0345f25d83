"""The participants directory and a room's participants with their magic links."""

import hashlib
import re
import uuid

import bcrypt
import pytest

from meetings.secretary.participants.models import Participant, ParticipantType, RoomParticipant
from meetings.secretary.rooms.models import RoomStatus
from tests.factories import (
    link_professional,
    make_entity,
    make_participant,
    make_professional,
    make_room,
    phone,
)
from tests.secretary.helpers import add_to_room


def client_body(**fields) -> dict:
    return {"name": "Maria Silva", "type": "CLIENT", "phone_number": phone(), **fields}


# ---- directory -------------------------------------------------------------------------------------


def test_manager_creates_reads_updates_and_deletes_a_client(client, auth_headers, manager):
    headers = auth_headers(manager)
    created = client.post(
        "/v1/participants", json=client_body(email="Maria@Example.com", external_id="crm-1"), headers=headers
    )
    assert created.status_code == 201, created.text
    participant = created.json()
    assert participant["email"] == "maria@example.com" and participant["professional"] is None
    url = f"/v1/participants/{participant['id']}"
    assert client.get(url, headers=headers).json()["name"] == "Maria Silva"
    assert client.patch(url, json={"name": "Maria S."}, headers=headers).json()["name"] == "Maria S."
    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url, headers=headers).status_code == 404


def test_a_professional_participant_shows_the_professionals_data(client, auth_headers, admin, entity, db):
    professional = make_professional(db, license_number="CRM-123")
    link_professional(db, professional, entity)
    answer = client.post(
        "/v1/participants",
        json={
            "name": "Dr. Ana",
            "type": "PROFESSIONAL",
            "phone_number": professional.phone_number,
            "professional_id": professional.id,
        },
        headers=auth_headers(admin),
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["professional"]["license_number"] == "CRM-123"
    assert answer.json()["professional"]["id"] == professional.id


def test_entity_admin_cannot_use_a_professional_of_another_entity(client, auth_headers, admin, db):
    professional = make_professional(db)
    link_professional(db, professional, make_entity(db))
    answer = client.post(
        "/v1/participants",
        json={
            "name": "Dr. B",
            "type": "PROFESSIONAL",
            "phone_number": phone(),
            "professional_id": professional.id,
        },
        headers=auth_headers(admin),
    )
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_professional"


def test_entity_admin_adds_clients_through_a_room(client, auth_headers, admin):
    answer = client.post("/v1/participants", json=client_body(), headers=auth_headers(admin))
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "add_through_room"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"type": "PROFESSIONAL"}, "professional_id_required"),
        ({"professional_id": 1}, "professional_id_not_allowed"),
        ({"type": "AGENT", "professional_id": 1}, "professional_id_not_allowed"),
        ({"type": "BOT"}, "enum"),
        ({"phone_number": "11987654321"}, "invalid_phone_number"),
        ({"email": "not-an-email"}, "invalid_email"),
        ({"name": ""}, "string_too_short"),
        ({"name": "x" * 101}, "string_too_long"),
        ({"surname": "x"}, "extra_forbidden"),
    ],
)
def test_bad_participant_bodies_answer_422_with_field_codes(client, auth_headers, manager, fields, code):
    answer = client.post("/v1/participants", json=client_body(**fields), headers=auth_headers(manager))
    assert answer.status_code == 422, answer.text
    assert code in [d["code"] for d in answer.json()["error"]["details"]]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"phone_number": None}, "not_nullable"),
        ({"name": None}, "not_nullable"),
        ({"phone_number": "+55"}, "invalid_phone_number"),
        ({"email": "nope"}, "invalid_email"),
        ({"type": "AGENT"}, "extra_forbidden"),
        ({"professional_id": 1}, "extra_forbidden"),
    ],
)
def test_bad_participant_changes_answer_422(client, auth_headers, manager, db, body, code):
    participant = make_participant(db)
    answer = client.patch(f"/v1/participants/{participant.id}", json=body, headers=auth_headers(manager))
    assert answer.status_code == 422
    assert code in [d["code"] for d in answer.json()["error"]["details"]]


def test_list_filters_by_type_phone_and_external_id(client, auth_headers, manager, db):
    tagged = make_participant(db, external_id=f"ext-{uuid.uuid4()}")
    agent = make_participant(db, type=ParticipantType.AGENT)
    headers = auth_headers(manager)
    assert [
        p["id"]
        for p in client.get(f"/v1/participants?external_id={tagged.external_id}", headers=headers).json()[
            "items"
        ]
    ] == [tagged.id]
    by_phone = client.get(
        "/v1/participants", params={"phone_number": agent.phone_number}, headers=headers
    ).json()
    assert [p["id"] for p in by_phone["items"]] == [agent.id]
    assert all(
        p["type"] == "AGENT"
        for p in client.get("/v1/participants?type=AGENT", headers=headers).json()["items"]
    )


def test_a_participant_in_a_room_cannot_be_deleted(client, auth_headers, manager, db):
    room_participant = add_to_room(db, make_room(db))
    answer = client.delete(
        f"/v1/participants/{room_participant.participant_id}", headers=auth_headers(manager)
    )
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "participant_in_room"


def test_entity_admin_sees_participants_of_their_rooms_and_professionals(
    client, auth_headers, admin, entity, db
):
    in_my_room = add_to_room(db, make_room(db, entity=entity)).participant_id
    professional = make_professional(db)
    link_professional(db, professional, entity)
    my_professional = make_participant(
        db, type=ParticipantType.PROFESSIONAL, professional_id=professional.id
    ).id
    elsewhere = add_to_room(db, make_room(db, entity=make_entity(db))).participant_id
    loose = make_participant(db).id
    listed = {
        p["id"] for p in client.get("/v1/participants?limit=200", headers=auth_headers(admin)).json()["items"]
    }
    assert {in_my_room, my_professional} <= listed
    assert not {elsewhere, loose} & listed


# ---- room participants and magic links ------------------------------------------------------------


def test_adding_a_participant_returns_the_link_and_password_once(client, auth_headers, admin, entity, db):
    room = make_room(db, entity=entity)
    answer = client.post(
        f"/v1/rooms/{room.id}/participants",
        json={"participant": client_body(), "is_organizer": True},
        headers=auth_headers(admin),
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert re.fullmatch(r"[0-9]{8}", body["password"])
    token = body["magic_link_url"].rsplit("/join/", 1)[1]
    assert uuid.UUID(token).version == 4
    assert body["magic_link_url"].startswith("http") and body["is_organizer"] is True
    row = db.query(RoomParticipant).filter_by(room_id=room.id).one()
    assert row.magic_link_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str([getattr(row, c.key) for c in RoomParticipant.__table__.columns])
    assert bcrypt.checkpw(body["password"].encode(), row.password_hash.encode())
    assert row.password_hash.startswith("$2b$10$")
    assert 23.9 * 3600 < (row.magic_link_expires_at - row.created_at).total_seconds() <= 24 * 3600 + 5
    listed = client.get(f"/v1/rooms/{room.id}/participants", headers=auth_headers(admin)).json()["items"]
    assert "password" not in listed[0] and "magic_link_url" not in listed[0]


def test_a_rooms_participants_are_paginated_like_every_list(client, auth_headers, manager, db):
    room = make_room(db)
    added = [add_to_room(db, room).participant_id for _ in range(5)]
    headers = auth_headers(manager)
    first = client.get(f"/v1/rooms/{room.id}/participants?limit=2", headers=headers).json()
    last = client.get(f"/v1/rooms/{room.id}/participants?limit=2&offset=4", headers=headers).json()
    too_big = client.get(f"/v1/rooms/{room.id}/participants?limit=201", headers=headers)
    assert (first["total"], first["limit"], first["offset"]) == (5, 2, 0)
    assert [row["participant_id"] for row in first["items"]] == added[:2]
    assert [row["participant_id"] for row in last["items"]] == added[4:]
    assert too_big.status_code == 422


def test_inline_participants_are_found_again_by_phone_and_type_or_external_id(
    client, auth_headers, admin, entity, db
):
    headers = auth_headers(admin)
    body = client_body(external_id=f"crm-{uuid.uuid4()}")
    first = client.post(
        f"/v1/rooms/{make_room(db, entity=entity).id}/participants",
        json={"participant": body},
        headers=headers,
    ).json()
    by_phone = client.post(
        f"/v1/rooms/{make_room(db, entity=entity).id}/participants",
        json={"participant": {**body, "external_id": None}},
        headers=headers,
    ).json()
    by_external = client.post(
        f"/v1/rooms/{make_room(db, entity=entity).id}/participants",
        json={"participant": {**body, "phone_number": phone()}},
        headers=headers,
    ).json()
    assert first["participant_id"] == by_phone["participant_id"] == by_external["participant_id"]
    as_agent = client.post(
        f"/v1/rooms/{make_room(db, entity=entity).id}/participants",
        json={"participant": {**body, "type": "AGENT", "external_id": None}},
        headers=headers,
    ).json()
    assert as_agent["participant_id"] != first["participant_id"]  # same phone, another type


def test_adding_the_same_participant_twice_is_refused(client, auth_headers, admin, entity, db):
    room = make_room(db, entity=entity)
    existing = add_to_room(db, room)
    answer = client.post(
        f"/v1/rooms/{room.id}/participants",
        json={"participant_id": existing.participant_id},
        headers=auth_headers(admin),
    )
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "participant_already_in_room"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "participant_required"),
        ({"participant_id": 1, "participant": client_body()}, "participant_required"),
        ({"participant": {"name": "x", "type": "CLIENT", "phone_number": "123"}}, "invalid_phone_number"),
        ({"participant_id": "abc"}, "int_parsing"),
    ],
)
def test_bad_room_participant_bodies_answer_422(client, auth_headers, admin, entity, db, body, code):
    answer = client.post(
        f"/v1/rooms/{make_room(db, entity=entity).id}/participants", json=body, headers=auth_headers(admin)
    )
    assert answer.status_code == 422
    assert code in [d["code"] for d in answer.json()["error"]["details"]]


def test_a_finished_room_takes_no_new_participants(client, auth_headers, manager, db):
    room = make_room(db, status=RoomStatus.CANCELED)
    answer = client.post(
        f"/v1/rooms/{room.id}/participants",
        json={"participant": client_body()},
        headers=auth_headers(manager),
    )
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "room_closed"


def test_unknown_participant_id_is_404(client, auth_headers, manager, db):
    answer = client.post(
        f"/v1/rooms/{make_room(db).id}/participants",
        json={"participant_id": 99999999},
        headers=auth_headers(manager),
    )
    assert answer.status_code == 404


def test_reissue_replaces_link_and_password_and_clears_the_lock(client, auth_headers, admin, entity, db):
    room = make_room(db, entity=entity)
    old = add_to_room(db, room, failed_attempts=3)
    old_token, old_hash = old.magic_link_token_hash, old.password_hash
    answer = client.post(
        f"/v1/rooms/{room.id}/participants/{old.participant_id}/reissue", headers=auth_headers(admin)
    )
    assert answer.status_code == 200, answer.text
    db.refresh(old)
    assert old.magic_link_token_hash != old_token and old.password_hash != old_hash
    assert old.failed_attempts == 0
    assert client.get(f"/v1/join/{old_token}").status_code == 404
    new_token = answer.json()["magic_link_url"].rsplit("/join/", 1)[1]
    assert client.get(f"/v1/join/{new_token}").status_code == 200
    missing = client.post(f"/v1/rooms/{room.id}/participants/99999999/reissue", headers=auth_headers(admin))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "room_participant_not_found"


def test_removing_a_participant_disconnects_them_from_livekit(
    client, auth_headers, admin, entity, db, livekit_server
):
    room = make_room(db, entity=entity, status=RoomStatus.ACTIVE)
    participant_id = add_to_room(db, room).participant_id
    identity = f"participant-{participant_id}"
    livekit_server.add_participant(room.livekit_room_id, identity)
    assert (
        client.delete(
            f"/v1/rooms/{room.id}/participants/{participant_id}", headers=auth_headers(admin)
        ).status_code
        == 204
    )
    assert identity not in livekit_server.participants[room.livekit_room_id]
    assert db.get(Participant, participant_id) is not None  # still in the directory
    assert db.query(RoomParticipant).filter_by(room_id=room.id).count() == 0


def test_removing_someone_not_connected_tolerates_livekit_not_found(
    client, auth_headers, admin, entity, db, livekit_server
):
    room = make_room(db, entity=entity, status=RoomStatus.ACTIVE)
    removed = add_to_room(db, room)
    assert (
        client.delete(
            f"/v1/rooms/{room.id}/participants/{removed.participant_id}", headers=auth_headers(admin)
        ).status_code
        == 204
    )
    assert len(livekit_server.method_calls("RemoveParticipant")) == 1


def test_removing_from_a_scheduled_room_does_not_call_livekit(
    client, auth_headers, admin, entity, db, livekit_server
):
    room = make_room(db, entity=entity)
    removed = add_to_room(db, room)
    assert (
        client.delete(
            f"/v1/rooms/{room.id}/participants/{removed.participant_id}", headers=auth_headers(admin)
        ).status_code
        == 204
    )
    assert livekit_server.calls == []
