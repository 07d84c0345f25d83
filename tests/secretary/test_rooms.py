"""Rooms: creation rules, listing, changes, the status machine, ending and deleting."""

import uuid

import pytest

from meetings.secretary.agent_usage.models import AgentUsage
from meetings.secretary.events.models import RoomEvent
from meetings.secretary.participants.models import ParticipantType
from meetings.secretary.recordings.models import Recording
from meetings.secretary.rooms.models import Room, RoomStatus
from tests.factories import later, make_department, make_entity, make_participant, make_room
from tests.support.roles import as_harness


def room_body(**fields) -> dict:
    return {"title": "Follow-up", "scheduled_at": later(days=1).isoformat(), **fields}


def test_entity_admin_creates_a_room_in_their_entity_with_its_defaults(
    client, auth_headers, admin, entity, db
):
    department = make_department(db, entity, instructions="Cardiology context.")
    answer = client.post(
        "/v1/rooms",
        json=room_body(department_id=department.id, custom_prompt="Discuss the exam."),
        headers=auth_headers(admin),
    )
    assert answer.status_code == 201, answer.text
    room = answer.json()
    assert uuid.UUID(room["id"]).version == 4
    assert room["livekit_room_id"] == f"meeting-{room['id']}"
    assert room["entity_id"] == entity.id
    assert room["organizer_id"] == admin.id
    assert room["max_participants"] == entity.max_participants
    assert room["status"] == "SCHEDULED"
    assert room["composed_instructions"] == "Be brief.\n\nCardiology context.\n\nDiscuss the exam."
    events = db.query(RoomEvent).filter_by(room_id=room["id"]).all()
    assert [e.event_name for e in events] == ["ROOM_CREATED"]


def test_livekit_room_names_are_unique(client, auth_headers, admin):
    names = {
        client.post("/v1/rooms", json=room_body(), headers=auth_headers(admin)).json()["livekit_room_id"]
        for _ in range(3)
    }
    assert len(names) == 3


def test_manager_may_create_an_independent_room(client, auth_headers, manager):
    answer = client.post("/v1/rooms", json=room_body(max_participants=300), headers=auth_headers(manager))
    assert answer.status_code == 201, answer.text
    assert answer.json()["entity_id"] is None
    assert answer.json()["max_participants"] == 300
    assert (
        client.post("/v1/rooms", json=room_body(), headers=auth_headers(manager)).json()["max_participants"]
        == 50
    )


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"scheduled_at": "2020-01-01T10:00:00Z"}, "scheduled_at_in_past"),
        ({"scheduled_at": "2090-01-01T10:00:00"}, "timezone_required"),
        ({"scheduled_at": "tomorrow"}, "datetime_from_date_parsing"),
        ({"title": ""}, "string_too_short"),
        ({"title": "x" * 201}, "string_too_long"),
        ({"custom_prompt": "x" * 4001}, "string_too_long"),
        ({"max_participants": 1}, "greater_than_equal"),
        ({"max_participants": 1001}, "less_than_equal"),
        ({"unknown": 1}, "extra_forbidden"),
    ],
)
def test_bad_room_bodies_answer_422_with_field_codes(client, auth_headers, admin, fields, code):
    answer = client.post("/v1/rooms", json=room_body(**fields), headers=auth_headers(admin))
    assert answer.status_code == 422
    assert code in [d["code"] for d in answer.json()["error"]["details"]]


def test_custom_prompt_of_4000_characters_is_accepted(client, auth_headers, admin):
    assert (
        client.post(
            "/v1/rooms", json=room_body(custom_prompt="x" * 4000), headers=auth_headers(admin)
        ).status_code
        == 201
    )


def test_capacity_cannot_exceed_the_entitys(client, auth_headers, admin, entity):
    answer = client.post(
        "/v1/rooms", json=room_body(max_participants=entity.max_participants + 1), headers=auth_headers(admin)
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "max_participants_above_entity_limit"


def test_capacity_is_checked_on_changes_too(client, auth_headers, manager, entity, db):
    room = make_room(db, entity=entity, max_participants=5)
    entity.max_participants = 4  # the entity lowered its limit after the room was made
    db.flush()
    answer = client.patch(
        f"/v1/rooms/{room.id}",
        json={"title": "Renamed", "max_participants": 5},
        headers=auth_headers(manager),
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "max_participants_above_entity_limit"


def test_database_trigger_backs_the_capacity_rule(db, entity):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError) as error:
        make_room(db, entity=entity, max_participants=entity.max_participants + 1)
    assert error.value.orig.diag.constraint_name == "chk_room_capacity"


def test_department_must_belong_to_the_rooms_entity(client, auth_headers, admin, db):
    foreign = make_department(db, make_entity(db))
    answer = client.post("/v1/rooms", json=room_body(department_id=foreign.id), headers=auth_headers(admin))
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_department"
    assert (
        client.post(
            "/v1/rooms", json=room_body(department_id=999999), headers=auth_headers(admin)
        ).status_code
        == 422
    )


def test_entity_admin_cannot_create_in_another_entity(client, auth_headers, admin, db):
    answer = client.post(
        "/v1/rooms", json=room_body(entity_id=make_entity(db).id), headers=auth_headers(admin)
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_entity"


def test_rooms_need_a_backoffice_token(client):
    assert client.post("/v1/rooms", json=room_body()).status_code == 401
    assert client.get("/v1/rooms", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_list_filters_and_pages(client, auth_headers, admin, entity, db):
    department = make_department(db, entity)
    first = make_room(db, entity=entity, scheduled_at=later(days=1), department_id=department.id)
    second = make_room(db, entity=entity, scheduled_at=later(days=2))
    canceled = make_room(db, entity=entity, scheduled_at=later(days=3), status=RoomStatus.CANCELED)
    make_room(db, entity=make_entity(db))  # another tenant's room
    headers = auth_headers(admin)

    listed = client.get("/v1/rooms", headers=headers).json()
    assert [r["id"] for r in listed["items"]] == [first.id, second.id, canceled.id]
    assert listed["total"] == 3
    assert [r["id"] for r in client.get("/v1/rooms?status=CANCELED", headers=headers).json()["items"]] == [
        canceled.id
    ]
    assert [
        r["id"]
        for r in client.get(f"/v1/rooms?department_id={department.id}", headers=headers).json()["items"]
    ] == [first.id]
    window = {"scheduled_from": later(hours=36).isoformat(), "scheduled_to": later(hours=60).isoformat()}
    assert [r["id"] for r in client.get("/v1/rooms", params=window, headers=headers).json()["items"]] == [
        second.id
    ]
    page = client.get("/v1/rooms?limit=1&offset=1", headers=headers).json()
    assert [r["id"] for r in page["items"]] == [second.id] and page["total"] == 3
    assert client.get("/v1/rooms?status=OPEN", headers=headers).status_code == 422
    assert client.get("/v1/rooms?limit=0", headers=headers).status_code == 422


def test_patch_changes_a_scheduled_room_only(client, auth_headers, admin, entity, db):
    room = make_room(db, entity=entity)
    headers = auth_headers(admin)
    answer = client.patch(
        f"/v1/rooms/{room.id}", json={"title": "New title", "custom_prompt": "Be kind."}, headers=headers
    )
    assert answer.status_code == 200
    assert answer.json()["title"] == "New title"
    assert answer.json()["composed_instructions"] == "Be brief.\n\nBe kind."
    assert client.patch(f"/v1/rooms/{room.id}", json={"title": None}, headers=headers).status_code == 422
    assert (
        client.patch(
            f"/v1/rooms/{room.id}", json={"scheduled_at": "2001-01-01T00:00:00Z"}, headers=headers
        ).status_code
        == 422
    )
    active = make_room(db, entity=entity, status=RoomStatus.ACTIVE)
    refused = client.patch(f"/v1/rooms/{active.id}", json={"title": "Late"}, headers=headers)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "room_not_editable"


def test_cancel_follows_the_status_machine(client, auth_headers, admin, entity, db, livekit_server):
    headers = auth_headers(admin)
    scheduled = make_room(db, entity=entity)
    assert client.post(f"/v1/rooms/{scheduled.id}/cancel", headers=headers).json()["status"] == "CANCELED"
    assert livekit_server.method_calls("DeleteRoom") == []  # nothing was running
    again = client.post(f"/v1/rooms/{scheduled.id}/cancel", headers=headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_status_transition"

    active = make_room(db, entity=entity, status=RoomStatus.ACTIVE)
    livekit_server.ensure_room(active.livekit_room_id)
    assert client.post(f"/v1/rooms/{active.id}/cancel", headers=headers).json()["status"] == "CANCELED"
    assert [c.room for c in livekit_server.method_calls("DeleteRoom")] == [active.livekit_room_id]
    completed = make_room(db, entity=entity, status=RoomStatus.COMPLETED)
    assert client.post(f"/v1/rooms/{completed.id}/cancel", headers=headers).status_code == 409


def test_end_completes_an_active_room_and_disconnects_everyone(
    client, auth_headers, admin, entity, db, livekit_server
):
    room = make_room(db, entity=entity, status=RoomStatus.ACTIVE)
    livekit_server.add_participant(room.livekit_room_id, "participant-1")
    answer = client.post(f"/v1/rooms/{room.id}/end", headers=auth_headers(admin))
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "COMPLETED" and answer.json()["ended_at"] is not None
    assert room.livekit_room_id not in livekit_server.rooms
    assert [e.event_name for e in db.query(RoomEvent).filter_by(room_id=room.id)] == ["ROOM_ENDED"]


def test_end_tolerates_a_room_livekit_already_closed(client, auth_headers, admin, entity, db):
    room = make_room(db, entity=entity, status=RoomStatus.ACTIVE)
    assert client.post(f"/v1/rooms/{room.id}/end", headers=auth_headers(admin)).status_code == 200


def test_end_refuses_a_room_that_is_not_running(client, auth_headers, admin, entity, db):
    room = make_room(db, entity=entity)
    answer = client.post(f"/v1/rooms/{room.id}/end", headers=auth_headers(admin))
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "invalid_status_transition"


def test_end_keeps_the_room_active_when_livekit_is_down(
    client, auth_headers, admin, entity, db, livekit_server
):
    room = make_room(db, entity=entity, status=RoomStatus.ACTIVE)
    livekit_server.ensure_room(room.livekit_room_id)
    livekit_server.fail_next("DeleteRoom", status=503, code="unavailable")
    answer = client.post(f"/v1/rooms/{room.id}/end", headers=auth_headers(admin))
    assert answer.status_code == 502 and answer.json()["error"]["code"] == "livekit_error"
    db.refresh(room)
    assert room.status == RoomStatus.ACTIVE


def test_status_machine_is_backed_by_the_database(db):
    from sqlalchemy.exc import IntegrityError

    room = make_room(db, status=RoomStatus.COMPLETED)
    room.status = RoomStatus.ACTIVE
    with pytest.raises(IntegrityError) as error:
        db.flush()
    assert error.value.orig.diag.constraint_name == "chk_room_status_transition"


def test_delete_only_finished_rooms_without_recordings_or_usage(client, auth_headers, admin, entity, db):
    headers = auth_headers(admin)
    scheduled = make_room(db, entity=entity)
    refused = client.delete(f"/v1/rooms/{scheduled.id}", headers=headers)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "room_not_finished"

    recorded = make_room(db, entity=entity, status=RoomStatus.COMPLETED)
    db.add(
        Recording(
            room_id=recorded.id,
            livekit_egress_id="EG_rec",
            s3_bucket="b",
            s3_key=f"recordings/{recorded.id}.mp4",
            retention_days=30,
        )
    )
    db.flush()
    assert (
        client.delete(f"/v1/rooms/{recorded.id}", headers=headers).json()["error"]["code"]
        == "room_has_recordings"
    )

    used = make_room(db, entity=entity, status=RoomStatus.COMPLETED)
    agent = make_participant(db, type=ParticipantType.AGENT)
    with as_harness(db):  # the agent writes usage, not the API
        db.add(
            AgentUsage(
                room_id=used.id,
                participant_id=agent.id,
                entity_id=entity.id,
                session_start=used.started_at,
                data={},
            )
        )
    assert (
        client.delete(f"/v1/rooms/{used.id}", headers=headers).json()["error"]["code"]
        == "room_has_agent_usage"
    )

    canceled_id = make_room(db, entity=entity, status=RoomStatus.CANCELED).id
    assert client.delete(f"/v1/rooms/{canceled_id}", headers=headers).status_code == 204
    assert db.get(Room, canceled_id) is None
    assert client.get(f"/v1/rooms/{canceled_id}", headers=headers).status_code == 404
