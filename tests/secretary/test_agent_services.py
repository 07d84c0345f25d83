"""The domain services the meeting agent composes: its participant, its place in a room, and its usage
rows; tested without the agent."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from meetings.db_roles import AGENT_ROLE
from meetings.errors import NotFound
from meetings.secretary.agent_usage.models import AgentUsage
from meetings.secretary.agent_usage.service import open_agent_usage, record_agent_usage
from meetings.secretary.participants.agent_service import enter_room, leave_room
from meetings.secretary.participants.models import ParticipantType, RoomParticipant
from meetings.secretary.participants.service import find_or_create_agent_participant
from meetings.secretary.rooms.models import Room
from tests.factories import make_entity, unique
from tests.support.roles import acting_as

NUMBER = "+12025550100"


@pytest.fixture
def room(db) -> Room:
    entity = make_entity(db)
    room = Room(
        id=str(uuid.uuid4()),
        livekit_room_id=unique("lk-room"),
        title="Consultation",
        entity_id=entity.id,
        scheduled_at=datetime.now(UTC) + timedelta(hours=1),
        max_participants=5,
    )
    db.add(room)
    db.flush()
    return room


@pytest.fixture(autouse=True)
def as_the_agent(db, room):
    """These services are the agent's: they run as its database role, once the room exists."""
    with acting_as(db, AGENT_ROLE):
        yield


def test_the_agent_participant_is_created_once_and_found_after(db):
    name = unique("Assistant")
    first = find_or_create_agent_participant(db=db, entity_id=None, name=name, phone_number=NUMBER)
    again = find_or_create_agent_participant(db=db, entity_id=None, name=name, phone_number=NUMBER)
    assert first.id == again.id and first.type == ParticipantType.AGENT


def test_entering_leaving_and_entering_again(db, room):
    agent = find_or_create_agent_participant(
        db=db, entity_id=None, name=unique("Assistant"), phone_number=NUMBER
    )
    start = datetime.now(UTC)
    enter_room(db=db, room_id=room.id, participant_id=agent.id, at=start)
    leave_room(db=db, room_id=room.id, participant_id=agent.id, at=start + timedelta(minutes=5))
    db.expire_all()
    [membership] = db.scalars(select(RoomParticipant).where(RoomParticipant.room_id == room.id)).all()
    assert membership.left_at == start + timedelta(minutes=5)

    enter_room(db=db, room_id=room.id, participant_id=agent.id, at=start + timedelta(minutes=6))
    db.expire_all()
    [membership] = db.scalars(select(RoomParticipant).where(RoomParticipant.room_id == room.id)).all()
    assert (membership.joined_at, membership.left_at) == (start + timedelta(minutes=6), None)


def test_a_new_session_closes_the_one_a_crashed_worker_left_open(db, room):
    agent = find_or_create_agent_participant(
        db=db, entity_id=None, name=unique("Assistant"), phone_number=NUMBER
    )
    start = datetime.now(UTC) - timedelta(hours=1)
    crashed = open_agent_usage(
        db=db,
        room_id=room.id,
        participant_id=agent.id,
        entity_id=room.entity_id,
        department_id=None,
        data={"interactions_count": 2},
        at=start,
    )
    current = open_agent_usage(
        db=db,
        room_id=room.id,
        participant_id=agent.id,
        entity_id=room.entity_id,
        department_id=None,
        data={},
        at=datetime.now(UTC),
    )
    db.expire_all()
    assert db.get(AgentUsage, crashed.id).session_end is not None
    assert db.get(AgentUsage, current.id).session_end is None


def test_usage_is_recorded_and_closed(db, room):
    agent = find_or_create_agent_participant(
        db=db, entity_id=None, name=unique("Assistant"), phone_number=NUMBER
    )
    usage = open_agent_usage(
        db=db,
        room_id=room.id,
        participant_id=agent.id,
        entity_id=room.entity_id,
        department_id=None,
        data={},
        at=datetime.now(UTC) - timedelta(minutes=3),
    )
    end = datetime.now(UTC)
    record_agent_usage(db=db, usage_id=usage.id, data={"interactions_count": 4}, session_end=end)
    db.expire_all()
    stored = db.get(AgentUsage, usage.id)
    assert (stored.data, stored.session_end) == ({"interactions_count": 4}, end)
    with pytest.raises(NotFound):
        record_agent_usage(db=db, usage_id=10**9, data={})
