"""The agent's presence: one AGENT participant per deployment, its place in each room, AGENT_JOINED /
AGENT_LEFT, and a usage row opened at the start and closed at the end (or after a crash)."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from agent_container.meeting_agent.config import DEFAULT_AGENT_PHONE_NUMBER
from meetings.db_roles import AGENT_ROLE
from meetings.secretary.agent_usage.models import AgentUsage
from meetings.secretary.events.models import AgentEventName, AgentSessionEvent
from meetings.secretary.participants.models import Participant, ParticipantType, RoomParticipant
from meetings.secretary.rooms.models import Room
from tests.factories import unique
from tests.support.roles import acting_as


def room_events(db, room_id):
    return db.scalars(
        select(AgentSessionEvent).where(AgentSessionEvent.room_id == room_id).order_by(AgentSessionEvent.id)
    ).all()


async def test_start_registers_the_agent_in_the_room(meeting_setup, build_meeting):
    db = meeting_setup.db
    meeting = build_meeting()

    registration = await meeting.start()

    agent = db.get(Participant, registration.participant_id)
    assert agent.type == ParticipantType.AGENT
    assert agent.name == "Test Assistant"
    assert agent.phone_number == DEFAULT_AGENT_PHONE_NUMBER
    membership = db.scalars(
        select(RoomParticipant).where(
            RoomParticipant.room_id == meeting_setup.room.id, RoomParticipant.participant_id == agent.id
        )
    ).one()
    assert membership.joined_at is not None and membership.left_at is None
    [joined] = room_events(db, meeting_setup.room.id)
    assert joined.event_name == AgentEventName.AGENT_JOINED.value
    assert joined.data["participant_id"] == agent.id
    assert set(joined.data) == {"participant_id", "content", "metadata"}
    usage = db.get(AgentUsage, registration.usage_id)
    assert (usage.room_id, usage.participant_id) == (meeting_setup.room.id, agent.id)
    assert (usage.entity_id, usage.department_id) == (meeting_setup.entity.id, meeting_setup.department.id)
    assert usage.session_end is None
    assert usage.data["model"] == meeting.config.llm_model
    assert usage.data["temperature"] == meeting.config.llm_temperature
    assert usage.data["interactions_count"] == 0


async def test_one_agent_participant_serves_every_room(meeting_setup, build_meeting, store):
    db = meeting_setup.db
    first = await build_meeting().start()
    other_room = Room(
        id=str(uuid.uuid4()),
        livekit_room_id=unique("lk-room"),
        title="Another meeting",
        entity_id=meeting_setup.entity.id,
        scheduled_at=datetime.now(UTC) + timedelta(days=1),
        max_participants=5,
    )
    db.add(other_room)
    db.flush()
    from agent_container.meeting_agent.registration import load_meeting_context, register_agent

    with acting_as(db, AGENT_ROLE):
        second = register_agent(
            db=db,
            context=load_meeting_context(db=db, room_id=other_room.id),
            name="Test Assistant",
            phone_number=DEFAULT_AGENT_PHONE_NUMBER,
            usage_data={},
        )

    assert second.participant_id == first.participant_id
    assert second.usage_id != first.usage_id


async def test_close_records_the_departure_and_ends_the_usage_session(meeting_setup, build_meeting):
    db = meeting_setup.db
    meeting = build_meeting()
    registration = await meeting.start()

    await meeting.close("room deleted")
    await meeting.close("room deleted")

    events = room_events(db, meeting_setup.room.id)
    assert [e.event_name for e in events] == [
        AgentEventName.AGENT_JOINED.value,
        AgentEventName.AGENT_LEFT.value,
    ]
    assert events[1].data["metadata"] == {"reason": "room deleted"}
    assert events[1].data["participant_id"] == registration.participant_id
    usage = db.get(AgentUsage, registration.usage_id)
    db.refresh(usage)
    assert usage.session_end is not None and usage.session_end >= usage.session_start
    assert usage.duration_seconds is not None and usage.duration_seconds >= 0
    membership = db.scalars(
        select(RoomParticipant).where(
            RoomParticipant.room_id == meeting_setup.room.id,
            RoomParticipant.participant_id == registration.participant_id,
        )
    ).one()
    assert membership.left_at is not None


async def test_a_session_left_open_by_a_crash_is_closed_when_the_agent_returns(meeting_setup, build_meeting):
    db = meeting_setup.db
    crashed = await build_meeting().start()  # the worker dies: no close()

    restarted = await build_meeting().start()

    old = db.get(AgentUsage, crashed.usage_id)
    db.refresh(old)
    assert old.session_end is not None
    assert old.duration_seconds is not None
    new = db.get(AgentUsage, restarted.usage_id)
    assert new.session_end is None
    open_rows = db.scalars(
        select(AgentUsage).where(
            AgentUsage.room_id == meeting_setup.room.id, AgentUsage.session_end.is_(None)
        )
    ).all()
    assert [row.id for row in open_rows] == [restarted.usage_id]
