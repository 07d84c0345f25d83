"""A room's seats are its humans': the meeting agent's own row (written when it registers in the room)
takes none, blocks no recording and keeps no finished meeting open."""

import time
from datetime import UTC, datetime

import pytest

from devserver.livekit_webhooks import webhook_event
from meetings.identity.roles import UserRole
from meetings.secretary.participants.agent_service import enter_room
from meetings.secretary.participants.models import ParticipantType
from meetings.secretary.participants.seats import admitted_participant_ids, count_admitted
from meetings.secretary.rooms.models import RoomStatus
from tests.factories import make_participant, make_room, make_user
from tests.secretary.helpers import JOIN_PASSWORD, add_to_room


@pytest.fixture
def staff(db, entity, auth_headers):
    return auth_headers(make_user(db, role=UserRole.ENTITY_ADMIN, entity=entity))


def join(client, link, *, recording: bool = True):
    consent = {"recording": recording, "assistant": True}
    return client.post(f"/v1/join/{link.token}", json={"password": JOIN_PASSWORD, "consent": consent})


def agent_enters(db, room):
    agent = make_participant(db, type=ParticipantType.AGENT, entity_id=room.entity_id)
    enter_room(db=db, room_id=room.id, participant_id=agent.id, at=datetime.now(UTC))
    return agent


def test_the_agent_takes_no_seat(client, db, entity, livekit_server):
    room = make_room(db, entity=entity, max_participants=2)
    organizer = add_to_room(db, room, is_organizer=True)
    assert join(client, organizer).status_code == 200
    agent = agent_enters(db, room)
    assert count_admitted(db, room.id, datetime.now(UTC)) == 1
    assert agent.id not in admitted_participant_ids(db, room.id, datetime.now(UTC))

    second = add_to_room(db, room)
    assert join(client, second).status_code == 200  # the second of two seats
    third = add_to_room(db, room)
    answer = join(client, third)
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "room_full"


def test_the_agent_does_not_block_a_recording(client, db, entity, staff, livekit_server, s3):
    room = make_room(db, entity=entity)
    assert join(client, add_to_room(db, room, is_organizer=True)).status_code == 200
    agent_enters(db, room)
    livekit_server.ensure_room(room.livekit_room_id)
    assert client.post(f"/v1/rooms/{room.id}/recordings", headers=staff).status_code == 201


def test_the_last_human_leaving_ends_the_meeting_the_agent_is_in(db, entity, webhook_client, sign_webhook):
    room = make_room(db, entity=entity, status=RoomStatus.ACTIVE)
    link = add_to_room(db, room)
    agent_enters(db, room)
    now = int(time.time())
    for kind, at in (("participant_joined", now), ("participant_left", now + 60)):
        body, headers = sign_webhook(
            webhook_event(
                kind,
                room_name=room.livekit_room_id,
                identity=f"participant-{link.participant_id}",
                created_at=at,
            )
        )
        assert webhook_client.post("/v1/webhooks/livekit", content=body, headers=headers).status_code == 200
    db.refresh(room)
    assert room.status == RoomStatus.COMPLETED
