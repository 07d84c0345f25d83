"""Room and agent event logs: paginated, oldest first, append-only."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, ProgrammingError

from meetings.db_roles import AGENT_ROLE
from meetings.secretary.events.models import AgentSessionEvent, RoomEvent, RoomEventName
from meetings.secretary.events.service import append_room_event
from tests.factories import make_room
from tests.support.roles import acting_as, as_harness


def add_events(db, room, count: int) -> list[int]:
    ids = []
    for index in range(count):
        event = append_room_event(
            db=db, room_id=room.id, event_name=RoomEventName.PARTICIPANT_JOINED, data={"n": index}
        )
        db.flush()
        ids.append(event.id)
    return ids


def test_room_events_page_in_time_order(client, auth_headers, manager, db):
    room = make_room(db)
    db.add(
        RoomEvent(
            room_id=room.id, event_name="ROOM_CREATED", data={}, created_at=room.created_at.replace(year=2020)
        )
    )
    ids = add_events(db, room, 4)
    headers = auth_headers(manager)
    first = client.get(f"/v1/rooms/{room.id}/events?limit=3", headers=headers).json()
    second = client.get(f"/v1/rooms/{room.id}/events?limit=3&offset=3", headers=headers).json()
    assert first["total"] == 5 and second["total"] == 5
    assert first["items"][0]["event_name"] == "ROOM_CREATED"  # the oldest, though inserted first too
    assert [e["id"] for e in first["items"][1:] + second["items"]] == ids
    assert [e["data"]["n"] for e in second["items"]] == [2, 3]


def test_agent_events_page_in_time_order(client, auth_headers, manager, db):
    room = make_room(db)
    for index, name in enumerate(["AGENT_JOINED", "QUESTION_ANSWERED", "AGENT_LEFT"]):
        with acting_as(db, AGENT_ROLE):
            db.add(
                AgentSessionEvent(
                    room_id=room.id,
                    event_name=name,
                    data={"participant_id": 1, "content": f"c{index}", "metadata": {}},
                )
            )
    answer = client.get(f"/v1/rooms/{room.id}/agent-events", headers=auth_headers(manager)).json()
    assert [e["event_name"] for e in answer["items"]] == ["AGENT_JOINED", "QUESTION_ANSWERED", "AGENT_LEFT"]
    assert answer["items"][1]["data"]["content"] == "c1"


@pytest.mark.parametrize("path", ["events", "agent-events"])
def test_event_logs_validate_paging_and_need_a_token(client, auth_headers, manager, db, path):
    room = make_room(db)
    assert client.get(f"/v1/rooms/{room.id}/{path}").status_code == 401
    assert (
        client.get(f"/v1/rooms/{room.id}/{path}?limit=201", headers=auth_headers(manager)).status_code == 422
    )
    assert (
        client.get(f"/v1/rooms/{room.id}/{path}?offset=-1", headers=auth_headers(manager)).status_code == 422
    )
    assert client.get(f"/v1/rooms/no-such-room/{path}", headers=auth_headers(manager)).status_code == 404


def test_room_events_are_append_only(db):
    room = make_room(db)
    add_events(db, room, 1)
    tamper = text("UPDATE room_events SET data = '{}' WHERE room_id = :room")
    savepoint = db.begin_nested()
    with pytest.raises(ProgrammingError, match="permission denied"):
        db.execute(tamper, {"room": room.id})  # the service role may not
    savepoint.rollback()
    with as_harness(db):  # a role that may write the table meets the trigger
        savepoint = db.begin_nested()
        with pytest.raises(IntegrityError):
            db.execute(tamper, {"room": room.id})
        savepoint.rollback()
