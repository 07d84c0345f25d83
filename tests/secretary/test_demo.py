"""The `make run` demo room: seeded once, with one working join link printed."""

import re

from devserver.demo import backoffice as manager_demo
from devserver.demo import meetings as secretary_demo
from meetings.secretary.participants.models import RoomParticipant
from meetings.secretary.rooms.models import Room


def test_demo_room_is_seeded_once_with_a_working_link(db, client):
    context = {"password_factory": lambda: "demo-password-123"}
    manager_demo.seed(db, context)
    lines = secretary_demo.seed(db, context)
    joined = "\n".join(lines)
    match = re.search(r"/join/([0-9a-f-]{36})\s+password (\d{8})", joined)
    assert match, lines
    token, password = match.groups()
    assert sum("/join/" in line for line in lines) == 1
    room = db.query(Room).filter_by(title=secretary_demo.DEMO_ROOM_TITLE).one()
    assert room.entity_id == context["entity_id"] and room.department_id == context["department_id"]
    members = db.query(RoomParticipant).filter_by(room_id=room.id).all()
    assert len(members) == 2 and sum(m.is_organizer for m in members) == 1

    info = client.get(f"/v1/join/{token}").json()
    assert info["room"]["id"] == room.id and info["participant"]["type"] == "PROFESSIONAL"
    assert client.post(f"/v1/join/{token}", json={"password": password}).status_code == 200

    again = {"password_factory": context["password_factory"]}
    manager_demo.seed(db, again)
    assert secretary_demo.seed(db, again) == []
    assert db.query(Room).filter_by(title=secretary_demo.DEMO_ROOM_TITLE).count() == 1
