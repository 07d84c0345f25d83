"""The worker's job: under a fake job context (no LiveKit server) it reads the room from the dispatch
metadata, registers, listens, and leaves through the job's shutdown callbacks."""

from livekit import rtc
from livekit.agents.testing import fake_job_context
from sqlalchemy import select

from agent_container.meeting_agent.worker import prewarm, serve
from meetings.meeting_protocol import CHAT_TOPIC, agent_dispatch_metadata
from meetings.secretary.agent_usage.models import AgentUsage
from meetings.secretary.events.models import AgentEventName, AgentSessionEvent
from tests.agent.conftest import TEST_CONFIG
from tests.agent.fakes import CodedSpeechSTT, ScriptedLLM


async def test_a_dispatched_job_registers_and_leaves_at_shutdown(meeting_setup, store, embedder):
    room = rtc.Room()
    with fake_job_context(room=room, job_metadata=agent_dispatch_metadata(meeting_setup.room.id)) as ctx:
        meeting = await serve(
            ctx,
            config=TEST_CONFIG,
            store=store,
            llm=ScriptedLLM([]),
            stt=CodedSpeechSTT({}),
            embedder=embedder,
        )
        assert meeting.context.room_id == meeting_setup.room.id
        assert "The client is recovering from a stent procedure." in meeting.instructions
        assert CHAT_TOPIC in room._text_stream_handlers

        for callback in ctx._shutdown_callbacks:
            await callback("room deleted")

    names = meeting_setup.db.scalars(
        select(AgentSessionEvent.event_name)
        .where(AgentSessionEvent.room_id == meeting_setup.room.id)
        .order_by(AgentSessionEvent.id)
    ).all()
    assert names == [AgentEventName.AGENT_JOINED, AgentEventName.AGENT_LEFT]
    usage = meeting_setup.db.get(AgentUsage, meeting.registration.usage_id)
    meeting_setup.db.refresh(usage)
    assert usage.session_end is not None


def test_prewarm_loads_the_embedder_once_for_the_process(engine):
    from meetings.embeddings import get_embedder

    class Process:
        userdata: dict = {}

    prewarm(Process())
    loaded = get_embedder.cache_info()
    assert loaded.currsize == 1  # the model is loaded before any job
    get_embedder()  # what a job uses
    assert get_embedder.cache_info().misses == loaded.misses
