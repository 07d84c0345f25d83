"""The worker's job: under a fake job context (no LiveKit server) it reads the room from the dispatch
metadata, registers, listens, and leaves through the job's shutdown callbacks."""

import json
from contextlib import contextmanager

from livekit import rtc
from livekit.agents.testing import fake_job_context
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from agent_container.meeting_agent.config import AgentConfig
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


def test_the_real_agent_server_gets_the_start_up_memory_and_stop_budgets():
    from agent_container.meeting_agent.worker import PRELOAD_MODULES, build_server, prewarm
    from meetings.settings import Settings

    config = AgentConfig()
    server = build_server(config, Settings())

    assert server.setup_fnc is prewarm
    assert server._mp_ctx_str == "forkserver"
    assert "agent_container.meeting_agent.preload" in server._preload_modules == PRELOAD_MODULES
    assert server._initialize_process_timeout == config.initialize_process_timeout_seconds
    assert server._initialize_process_timeout > 10.0  # the library's default, too tight for the model
    assert server._num_idle_processes == config.num_idle_processes
    assert server._drain_timeout == config.drain_timeout_seconds < 3600  # the library's default
    assert server._shutdown_process_timeout == config.shutdown_process_timeout_seconds
    assert (server._job_memory_warn_mb, server._job_memory_limit_mb) == (
        config.job_memory_warn_mb,
        config.job_memory_limit_mb,
    )


def test_the_preload_module_loads_the_model_where_it_is_imported():
    import importlib
    import sys

    from meetings.embeddings import get_embedder

    get_embedder.cache_clear()
    sys.modules.pop("agent_container.meeting_agent.preload", None)
    importlib.import_module("agent_container.meeting_agent.preload")
    assert get_embedder.cache_info().currsize == 1


async def test_a_job_stopped_with_its_worker_leaves_and_dispatches_the_agent_again(
    meeting_setup, store, embedder, livekit_server
):
    from agent_container.meeting_agent.worker import WORKER_SHUTDOWN_REASON, Redispatcher
    from meetings.settings import get_settings

    room = rtc.Room()
    with fake_job_context(room=room, job_metadata=agent_dispatch_metadata(meeting_setup.room.id)) as ctx:
        meeting = await serve(
            ctx,
            config=TEST_CONFIG,
            store=store,
            llm=ScriptedLLM([]),
            stt=CodedSpeechSTT({}),
            embedder=embedder,
            redispatcher=Redispatcher(get_settings()),
        )
        meeting.participant_joined(meeting_setup.client)  # the meeting goes on without the agent
        for callback in ctx._shutdown_callbacks:
            await callback(WORKER_SHUTDOWN_REASON)

    names = meeting_setup.db.scalars(
        select(AgentSessionEvent.event_name)
        .where(AgentSessionEvent.room_id == meeting_setup.room.id)
        .order_by(AgentSessionEvent.id)
    ).all()
    assert names == [AgentEventName.AGENT_JOINED, AgentEventName.AGENT_LEFT]
    usage = meeting_setup.db.get(AgentUsage, meeting.registration.usage_id)
    meeting_setup.db.refresh(usage)
    assert usage.session_end is not None
    [dispatch] = livekit_server.method_calls("CreateDispatch")
    assert dispatch.room == meeting_setup.room.livekit_room_id
    assert dispatch.agent_name == get_settings().agent_name
    assert json.loads(dispatch.metadata) == {"room_id": meeting_setup.room.id}


async def test_a_job_whose_room_ended_is_not_dispatched_again(meeting_setup, store, embedder, livekit_server):
    from agent_container.meeting_agent.worker import Redispatcher
    from meetings.settings import get_settings

    room = rtc.Room()
    with fake_job_context(room=room, job_metadata=agent_dispatch_metadata(meeting_setup.room.id)) as ctx:
        meeting = await serve(
            ctx,
            config=TEST_CONFIG,
            store=store,
            llm=ScriptedLLM([]),
            stt=CodedSpeechSTT({}),
            embedder=embedder,
            redispatcher=Redispatcher(get_settings()),
        )
        meeting.participant_joined(meeting_setup.client)
        for callback in ctx._shutdown_callbacks:
            await callback("room disconnected")

    assert livekit_server.method_calls("CreateDispatch") == []


async def test_registration_is_retried_while_the_database_is_unreachable(meeting_setup, store, embedder):
    healthy, failures = store.session_scope, []

    @contextmanager
    def flaky():
        if len(failures) < 2:
            failures.append(1)
            raise OperationalError("connect", {}, Exception("connection refused"))
        with healthy() as db:
            yield db

    store.session_scope = flaky
    room = rtc.Room()
    config = TEST_CONFIG.model_copy(update={"register_backoff_seconds": 0.01})
    with fake_job_context(room=room, job_metadata=agent_dispatch_metadata(meeting_setup.room.id)) as ctx:
        meeting = await serve(
            ctx, config=config, store=store, llm=ScriptedLLM([]), stt=CodedSpeechSTT({}), embedder=embedder
        )
        for callback in ctx._shutdown_callbacks:
            await callback("room deleted")

    assert len(failures) == 2
    assert meeting.registration is not None
    names = meeting_setup.db.scalars(
        select(AgentSessionEvent.event_name).where(AgentSessionEvent.room_id == meeting_setup.room.id)
    ).all()
    assert names.count(AgentEventName.AGENT_JOINED) == 1


def test_a_worker_serving_as_many_meetings_as_its_memory_holds_reports_itself_full():
    from agent_container.meeting_agent.worker import memory_bounded_load

    class Server:
        active_jobs = [object()] * 3

    assert memory_bounded_load(3)(Server()) == 1.0


def test_the_preload_freezes_what_it_built_for_the_processes_forked_from_it():
    """Python's advice for a parent that forks: collect nothing while loading, freeze the result, so a
    child's collections leave the shared pages alone."""
    import json
    import os
    import subprocess
    import sys

    script = (
        "import gc, json\n"
        "before = gc.get_stats()[2]['collections']\n"
        "import agent_container.meeting_agent.preload\n"
        "print(json.dumps({'full_collections': gc.get_stats()[2]['collections'] - before,"
        " 'frozen': gc.get_freeze_count() > 100_000, 'enabled': gc.isenabled()}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        env={**os.environ, "ENVIRONMENT": "test", "HF_HUB_OFFLINE": "1"},
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"full_collections": 0, "frozen": True, "enabled": True}


async def test_a_database_blip_while_greeting_those_already_in_the_room_keeps_the_agent_serving(
    meeting_setup, store, embedder
):
    """The lookup of who someone is fails once just after connecting: it is retried, and the agent is
    not shut down (it would not be dispatched again, and the meeting would go on without it)."""
    from tests.agent.test_meeting_end_to_end import remote

    room, shutdowns, failures = rtc.Room(), [], []
    healthy = store.session_scope
    config = TEST_CONFIG.model_copy(update={"register_backoff_seconds": 0.01})

    @contextmanager
    def flaky():
        if failures == [False]:  # connected: the next lookup fails, once
            failures[0] = True
            raise OperationalError("connect", {}, Exception("connection refused"))
        with healthy() as db:
            yield db

    with fake_job_context(room=room, job_metadata=agent_dispatch_metadata(meeting_setup.room.id)) as ctx:
        client = remote(meeting_setup.client)

        async def connect(**_):
            room._remote_participants[client.identity] = client
            failures.append(False)

        store.session_scope = flaky
        ctx.connect, ctx.shutdown = connect, lambda reason="": shutdowns.append(reason)
        meeting = await serve(
            ctx, config=config, store=store, llm=ScriptedLLM([]), stt=CodedSpeechSTT({}), embedder=embedder
        )
        assert failures == [True] and shutdowns == []
        assert client.identity in meeting.humans
        for callback in ctx._shutdown_callbacks:
            await callback("room deleted")
