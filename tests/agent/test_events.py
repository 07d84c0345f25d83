"""Events keep the spec's shape, and a database outage neither stops the meeting nor loses them."""

import json
from contextlib import contextmanager

from sqlalchemy import create_engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from meetings.meeting_protocol import CHAT_TOPIC
from meetings.secretary.events.models import AgentEventName, AgentSessionEvent
from tests.agent.fakes import Reply, ScriptedLLM

# Nothing listens on the discard port of the loopback address: every connection is refused.
UNREACHABLE_DATABASE = "postgresql+psycopg://agent@127.0.0.1:9/meetings?connect_timeout=1"


@contextmanager
def unreachable_session():
    engine = create_engine(UNREACHABLE_DATABASE)
    session = Session(bind=engine)
    try:
        yield session
    finally:
        session.close()
        engine.dispose()


def names(db, room_id):
    return [
        e.event_name
        for e in db.scalars(
            select(AgentSessionEvent)
            .where(AgentSessionEvent.room_id == room_id)
            .order_by(AgentSessionEvent.id)
        )
    ]


async def test_a_database_outage_is_survived_and_reported_once_it_is_back(
    meeting_setup, build_meeting, store
):
    model = ScriptedLLM([Reply("I could not check the documents just now.", 100, 9), Reply("Yes.", 50, 1)])
    meeting = build_meeting(llm=model)
    await meeting.start()
    meeting.participant_joined(meeting_setup.client)
    healthy_scope = store.session_scope

    store.session_scope = unreachable_session
    await meeting.on_chat_message(
        meeting_setup.client.identity, "Is my appointment confirmed?", addressed=True
    )
    await meeting.settle()
    assert [s.text for s in meeting_setup.gateway.on(CHAT_TOPIC)] == [
        "I could not check the documents just now."
    ]
    assert names(meeting_setup.db, meeting_setup.room.id) == [AgentEventName.AGENT_JOINED]

    store.session_scope = healthy_scope
    await meeting.on_chat_message(
        meeting_setup.client.identity, "Is my appointment confirmed?", addressed=True
    )
    await meeting.settle()

    events = meeting_setup.db.scalars(
        select(AgentSessionEvent)
        .where(AgentSessionEvent.room_id == meeting_setup.room.id)
        .order_by(AgentSessionEvent.id)
    ).all()
    assert [e.event_name for e in events] == [
        AgentEventName.AGENT_JOINED,
        AgentEventName.AGENT_ERROR,  # retrieval failed: the database was down
        AgentEventName.AGENT_ERROR,  # the event log could not be written
        AgentEventName.QUESTION_ANSWERED,
        AgentEventName.CONTEXT_RETRIEVED,
        AgentEventName.QUESTION_ANSWERED,
    ]
    stages = [e.data["metadata"]["stage"] for e in events if e.event_name == AgentEventName.AGENT_ERROR]
    assert stages == ["retrieval", "database"]
    for event in events:
        assert set(event.data) == {"participant_id", "content", "metadata"}
        assert isinstance(event.data["participant_id"], int)
        assert isinstance(event.data["content"], str)
        assert isinstance(event.data["metadata"], dict)
    assert meeting.events.pending == type(meeting.events.pending)()


async def test_an_agent_error_keeps_the_kind_and_a_safe_sentence_and_logs_its_type_not_its_text(
    meeting_setup, build_meeting, caplog
):
    from livekit.agents import APIConnectionError

    meeting = build_meeting()
    await meeting.start()
    secret_detail = "could not connect to db-prod.internal:5432 as meetings_admin"

    with caplog.at_level("WARNING"):
        await meeting.events.error("retrieval", OperationalError("SELECT 1", {}, Exception(secret_detail)))
        await meeting.events.error("llm", APIConnectionError(f"provider said: {secret_detail}"))
        await meeting.events.error("agent", KeyError(secret_detail))

    errors = meeting_setup.db.scalars(
        select(AgentSessionEvent)
        .where(
            AgentSessionEvent.room_id == meeting_setup.room.id,
            AgentSessionEvent.event_name == AgentEventName.AGENT_ERROR.value,
        )
        .order_by(AgentSessionEvent.id)
    ).all()
    assert [(e.data["content"], e.data["metadata"]) for e in errors] == [
        (
            "retrieval failed: the database could not be reached",
            {"stage": "retrieval", "error_type": "OperationalError"},
        ),
        (
            "llm failed: the service could not be reached",
            {"stage": "llm", "error_type": "APIConnectionError"},
        ),
        ("agent failed: an unexpected error occurred", {"stage": "agent", "error_type": "KeyError"}),
    ]
    for event in errors:
        assert "db-prod" not in json.dumps(event.data) and "meetings_admin" not in json.dumps(event.data)
    logged = [r for r in caplog.records if r.getMessage() == "meeting agent error"]
    assert [r.error_type for r in logged] == ["OperationalError", "APIConnectionError", "KeyError"]
    assert all(r.stage == stage for r, stage in zip(logged, ("retrieval", "llm", "agent"), strict=True))
    assert not [r for r in logged if "db-prod" in str(r.__dict__)]  # an exception's text can be anyone's


async def test_a_write_whose_caller_is_cancelled_is_finished_and_never_written_twice(
    meeting_setup, build_meeting, store
):
    """A recognition stream cut at a consent withdrawal while its segment is being written: the write
    goes on in its thread and commits; the queue must forget it, or the next write repeats it."""
    import asyncio
    import time

    meeting = build_meeting()
    await meeting.start()
    healthy_scope = store.session_scope

    @contextmanager
    def slow_session():
        time.sleep(0.3)  # in the store's thread: the caller is cancelled meanwhile
        with healthy_scope() as db:
            yield db

    store.session_scope = slow_session
    writing = asyncio.create_task(
        meeting.events.record(AgentEventName.TRANSCRIPTION_PROCESSED, content="said once", metadata={})
    )
    await asyncio.sleep(0.05)
    writing.cancel()
    await asyncio.gather(writing, return_exceptions=True)
    await asyncio.sleep(0.5)  # the thread has committed the batch by now
    store.session_scope = healthy_scope
    await meeting.events.flush()

    written = meeting_setup.db.scalars(
        select(AgentSessionEvent).where(
            AgentSessionEvent.room_id == meeting_setup.room.id,
            AgentSessionEvent.event_name == AgentEventName.TRANSCRIPTION_PROCESSED,
        )
    ).all()
    assert [event.data["content"] for event in written] == ["said once"]
