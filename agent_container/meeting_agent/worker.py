"""The worker process: `python -m agent_container.meeting_agent.worker start` (or `dev`).

A named agent, dispatched explicitly to a room with `{"room_id": ...}` metadata.

Start-up. torch, sentence-transformers and the model's weights load once in the forkserver
(`preload`); a job process forks from it and its `prewarm` only checks the database, so it is ready
well inside `initialize_process_timeout`.

Stopping. ECS sends SIGTERM and kills the task `stopTimeout` seconds later (infra: the agent
construct). The worker first drains for `drain_timeout_seconds` (meetings that end by themselves in
that time end normally), then asks each job process to shut down, which gives the job
`shutdown_process_timeout_seconds` to leave: AGENT_LEFT, the final usage and `session_end`. A job
stopped because its worker is stopping (not because its room ended) dispatches the agent to its room
again before it exits; LiveKit hands the new dispatch to a worker that is not draining.
"""

import asyncio
import os
import random
from collections.abc import AsyncIterator

from livekit import api, rtc
from livekit.agents import AgentServer, AutoSubscribe, JobContext, JobProcess, cli
from livekit.agents.worker import _DefaultLoadCalc
from livekit.plugins import openai
from sqlalchemy.exc import DBAPIError

from meetings.db import verify_schema
from meetings.embeddings import get_embedder
from meetings.log import failure, logger
from meetings.meeting_protocol import (
    ASSISTANT_TOPIC,
    ATTR_CONSENT_ASSISTANT,
    CHAT_TOPIC,
    agent_dispatch_metadata,
    room_id_from_dispatch_metadata,
)
from meetings.settings import Settings, get_settings

from .config import AgentConfig
from .knowledge import DatabaseKnowledge
from .meeting import MeetingAgent
from .registration import load_meeting_context
from .room_gateway import LiveKitRoomGateway, human_from_attributes
from .store import Store, default_engine

PRELOAD_MODULES = ["agent_container.meeting_agent.preload"]
# The agent runs no local VAD or turn detector (the recognizer detects turns): the framework's preload
# would otherwise load their weights (about 250 MB) into the forkserver at every task start.
os.environ.setdefault("LIVEKIT_AGENTS_PRELOAD_LOCAL_INFERENCE", "0")
# The reason livekit-agents gives a job whose worker asked its process to shut down
# (ipc/job_proc_lazy_main.py); a room that ended gives "room disconnected" instead.
WORKER_SHUTDOWN_REASON = "parent process shutdown"


def prewarm(proc: JobProcess) -> None:
    """Refuses a database built for another model; the model itself is already loaded (see `preload`).
    An unreachable database is not fatal here: registration at job start retries."""
    get_embedder()
    try:
        verify_schema(default_engine(), get_settings())
    except DBAPIError as exc:
        logger.warning("database not reachable at process start; jobs will retry", extra=failure(exc))


def memory_bounded_load(max_jobs: int):
    """The worker's load for LiveKit's dispatcher: full once it serves `max_jobs` meetings (what its
    memory holds), otherwise the library's CPU-based figure."""

    def load(server: AgentServer) -> float:
        if len(server.active_jobs) >= max_jobs:
            return 1.0
        return _DefaultLoadCalc.get_load(server)

    return load


def build_server(config: AgentConfig, settings: Settings) -> AgentServer:
    """The worker, with start-up, memory and stop budgets from the agent's configuration."""
    return AgentServer(
        setup_fnc=prewarm,
        load_fnc=memory_bounded_load(config.max_jobs),
        preload_modules=PRELOAD_MODULES,
        multiprocessing_context="forkserver",
        num_idle_processes=config.num_idle_processes,
        initialize_process_timeout=config.initialize_process_timeout_seconds,
        shutdown_process_timeout=config.shutdown_process_timeout_seconds,
        drain_timeout=config.drain_timeout_seconds,
        job_memory_warn_mb=config.job_memory_warn_mb,
        job_memory_limit_mb=config.job_memory_limit_mb,
        ws_url=settings.livekit_url,
        api_key=settings.livekit_api_key,
        api_secret=settings.livekit_api_secret.get_secret_value(),
    )


def build_llm(config: AgentConfig, settings: Settings) -> openai.LLM:
    options = {"base_url": settings.openai_base_url} if settings.openai_base_url else {}
    return openai.LLM(
        model=config.llm_model,
        temperature=config.llm_temperature,
        api_key=settings.openai_api_key.get_secret_value(),
        **options,
    )


def build_stt(config: AgentConfig, settings: Settings) -> openai.STT:
    # The realtime transcription API streams and detects turns server-side: no local VAD needed.
    options = {"base_url": settings.openai_base_url} if settings.openai_base_url else {}
    return openai.STT(
        model=config.stt_model,
        language=config.stt_language,
        use_realtime=True,
        api_key=settings.openai_api_key.get_secret_value(),
        **options,
    )


async def audio_frames(track: rtc.Track) -> AsyncIterator[rtc.AudioFrame]:
    stream = rtc.AudioStream(track, sample_rate=24000, num_channels=1)
    try:
        async for event in stream:
            yield event.frame
    finally:
        await stream.aclose()


def consents_to_assistant(participant) -> bool:
    """Only a participant whose token (or a later update) says "true" is heard; absent means no."""
    return dict(participant.attributes).get(ATTR_CONSENT_ASSISTANT) == "true"


async def admit_participant(
    room: rtc.Room,
    meeting: MeetingAgent,
    participant: rtc.RemoteParticipant,
    *,
    audio=None,
    track_sid: str = "",
) -> None:
    """Starts hearing a participant who consents to the assistant (with `audio`, that track of theirs).

    Who someone is (type, organizer) comes from the database, never from their LiveKit attributes. The
    lookup is retried while the database is briefly unreachable, and a failure is recorded and leaves
    the rest of the meeting served. Consent and presence are checked again once it answers: a withdrawal
    or a departure (or a rejoin, which is another participant object) may have come meanwhile.
    """
    if not consents_to_assistant(participant):
        return  # never heard, never answered, sent nothing
    identity = human_from_attributes(
        participant.identity, participant.name, dict(participant.attributes), getattr(participant, "sid", "")
    )
    try:
        human = await with_retries(
            lambda: meeting.confirmed(identity),
            attempts=meeting.config.register_attempts,
            backoff_seconds=meeting.config.register_backoff_seconds,
            what="participant lookup",
        )
    except DBAPIError as exc:
        await meeting.events.error(
            "participant lookup", exc, participant_id=identity and identity.participant_id
        )
        return
    current = room.remote_participants.get(participant.identity)  # a rejoin is another connection (sid)
    still_here = current is not None and getattr(current, "sid", "") == getattr(participant, "sid", "")
    if human is None or not still_here or not consents_to_assistant(current):
        return
    meeting.participant_joined(human, audio=audio, track_sid=track_sid)


def connect_room(room: rtc.Room, meeting: MeetingAgent, audio_source=audio_frames) -> set[asyncio.Task]:
    """Routes room events (arrivals, audio, departures, chat) to the meeting; returns its pending tasks."""
    tasks: set[asyncio.Task] = set()

    def spawn(coro) -> None:
        task = asyncio.create_task(coro)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def join(participant: rtc.RemoteParticipant, track: rtc.Track | None = None, sid: str = "") -> None:
        if not consents_to_assistant(participant):
            return  # their track is never even read
        audio = None if track is None else audio_source(track)
        await admit_participant(room, meeting, participant, audio=audio, track_sid=sid)

    def on_participant_connected(participant: rtc.RemoteParticipant) -> None:
        spawn(join(participant))

    def on_track_subscribed(track: rtc.Track, publication, participant: rtc.RemoteParticipant) -> None:
        if track.kind == rtc.TrackKind.KIND_AUDIO:
            spawn(join(participant, track, getattr(publication, "sid", "") or getattr(track, "sid", "")))

    def on_attributes_changed(changed: dict[str, str], participant) -> None:
        # The secretary sets consent_assistant to "false" (RoomService.UpdateParticipant) on withdrawal.
        if ATTR_CONSENT_ASSISTANT in changed and not consents_to_assistant(participant):
            meeting.consent_withdrawn(participant.identity)

    def on_participant_disconnected(participant: rtc.RemoteParticipant) -> None:
        meeting.participant_left(participant.identity, sid=getattr(participant, "sid", None) or None)

    def on_text(*, addressed: bool):
        def handler(reader: rtc.TextStreamReader, sender_identity: str) -> None:
            async def read_and_answer() -> None:
                await meeting.on_chat_message(sender_identity, await reader.read_all(), addressed=addressed)

            spawn(read_and_answer())

        return handler

    room.on("participant_connected", on_participant_connected)
    room.on("track_subscribed", on_track_subscribed)
    room.on("participant_disconnected", on_participant_disconnected)
    room.on("participant_attributes_changed", on_attributes_changed)
    room.register_text_stream_handler(CHAT_TOPIC, on_text(addressed=False))
    room.register_text_stream_handler(ASSISTANT_TOPIC, on_text(addressed=True))
    return tasks


async def with_retries(work, *, attempts: int, backoff_seconds: float, what: str):
    """Runs `work()` until it succeeds, pausing between attempts (doubling, with jitter, at most 10 s);
    a database that is briefly unreachable at job start does not leave the meeting without its agent."""
    for attempt in range(1, attempts + 1):
        try:
            return await work()
        except DBAPIError:
            if attempt == attempts:
                raise
            pause = min(10.0, backoff_seconds * 2 ** (attempt - 1)) * random.uniform(0.8, 1.2)
            logger.warning(f"{what} failed; retrying", extra={"attempt": attempt, "pause_seconds": pause})
            await asyncio.sleep(pause)


class Redispatcher:
    """Asks LiveKit to dispatch this agent to a room again (a new dispatch, not the one being served)."""

    def __init__(self, settings: Settings):
        self.settings = settings

    async def redispatch(self, *, livekit_room: str, room_id: str) -> str:
        settings = self.settings
        async with api.LiveKitAPI(
            settings.livekit_url, settings.livekit_api_key, settings.livekit_api_secret.get_secret_value()
        ) as lk:
            dispatch = await lk.agent_dispatch.create_dispatch(
                api.CreateAgentDispatchRequest(
                    agent_name=settings.agent_name,
                    room=livekit_room,
                    metadata=agent_dispatch_metadata(room_id),
                )
            )
        return dispatch.id


settings = get_settings()
server = build_server(AgentConfig.from_env(), settings)


@server.rtc_session(agent_name=settings.agent_name)
async def entrypoint(ctx: JobContext) -> None:
    """Joins the dispatched room and serves the meeting until the job ends."""
    config = AgentConfig.from_env()
    await serve(
        ctx,
        config=config,
        store=Store(),
        llm=build_llm(config, settings),
        stt=build_stt(config, settings),
        embedder=get_embedder(),
        redispatcher=Redispatcher(settings),
    )


async def serve(
    ctx: JobContext, *, config: AgentConfig, store: Store, llm, stt, embedder, redispatcher=None, gateway=None
) -> MeetingAgent:
    """Registers the agent (retrying while the database is unreachable), wires the room to it and
    arranges its departure at shutdown."""
    room_id = room_id_from_dispatch_metadata(ctx.job.metadata)

    async def register() -> MeetingAgent:
        context = await store.run(lambda db: load_meeting_context(db=db, room_id=room_id))
        meeting = MeetingAgent(
            config=config,
            context=context,
            store=store,
            gateway=gateway or LiveKitRoomGateway(ctx.room),
            llm=llm,
            stt=stt,
            knowledge=DatabaseKnowledge(
                store=store,
                embedder=embedder,
                entity_id=context.entity_id,
                department_id=context.department_id,
            ),
            agent_name=config.display_name,
        )
        await meeting.start()
        return meeting

    meeting = await with_retries(
        register,
        attempts=config.register_attempts,
        backoff_seconds=config.register_backoff_seconds,
        what="agent registration",
    )

    async def leave(reason: str) -> None:
        stopped_with_worker = reason == WORKER_SHUTDOWN_REASON and bool(meeting.humans)
        try:
            await meeting.close(reason or "job shutdown")
        except Exception as exc:
            logger.error(
                "the agent could not record its departure", extra={"room_id": room_id, **failure(exc)}
            )
        if stopped_with_worker and redispatcher is not None:
            try:
                await redispatcher.redispatch(livekit_room=meeting.context.livekit_room, room_id=room_id)
            except Exception as exc:
                logger.error(
                    "the agent could not be dispatched again", extra={"room_id": room_id, **failure(exc)}
                )

    ctx.add_shutdown_callback(leave)
    try:
        connect_room(ctx.room, meeting)
        await ctx.connect(auto_subscribe=AutoSubscribe.AUDIO_ONLY)
        for participant in list(ctx.room.remote_participants.values()):
            await admit_participant(ctx.room, meeting, participant)  # audio arrives through track_subscribed
    except Exception as exc:
        await meeting.events.error("agent", exc)
        ctx.shutdown(reason=f"agent failed: {type(exc).__name__}")
    return meeting


if __name__ == "__main__":
    if get_settings().environment != "production":
        from meetings.db_local import serve_locally_as
        from meetings.db_roles import AGENT_ROLE

        serve_locally_as(AGENT_ROLE)  # `make agent`: never as the migrator or a superuser
    cli.run_app(server)
