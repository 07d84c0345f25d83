"""The worker process: `python -m agent_container.meeting_agent.worker start` (or `dev`).

A named agent, dispatched explicitly to a room with `{"room_id": ...}` metadata.
"""

import asyncio
from collections.abc import AsyncIterator

from livekit import rtc
from livekit.agents import AgentServer, AutoSubscribe, JobContext, JobProcess, cli
from livekit.plugins import openai

from meetings.db import get_engine, verify_schema
from meetings.embeddings import get_embedder
from meetings.log import logger
from meetings.meeting_protocol import CHAT_TOPIC, room_id_from_dispatch_metadata
from meetings.settings import Settings, get_settings

from .config import AgentConfig
from .knowledge import DatabaseKnowledge
from .meeting import MeetingAgent
from .registration import load_meeting_context
from .room_gateway import LiveKitRoomGateway, human_from_attributes
from .store import Store


def prewarm(proc: JobProcess) -> None:
    """Loads the (process-cached) embedding model before any job, and refuses a database built for another one."""
    get_embedder()
    verify_schema(get_engine(), get_settings())


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


def connect_room(room: rtc.Room, meeting: MeetingAgent, audio_source=audio_frames) -> set[asyncio.Task]:
    """Routes room events (arrivals, audio, departures, chat) to the meeting; returns its pending tasks."""
    tasks: set[asyncio.Task] = set()

    def spawn(coro) -> None:
        task = asyncio.create_task(coro)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def track_human(participant: rtc.RemoteParticipant):
        return human_from_attributes(participant.identity, participant.name, dict(participant.attributes))

    def on_participant_connected(participant: rtc.RemoteParticipant) -> None:
        if (human := track_human(participant)) is not None:
            meeting.participant_joined(human)

    def on_track_subscribed(track: rtc.Track, _publication, participant: rtc.RemoteParticipant) -> None:
        if track.kind == rtc.TrackKind.KIND_AUDIO and (human := track_human(participant)) is not None:
            meeting.participant_joined(human, audio=audio_source(track))

    def on_participant_disconnected(participant: rtc.RemoteParticipant) -> None:
        spawn(meeting.participant_left(participant.identity))

    def on_chat(reader: rtc.TextStreamReader, sender_identity: str) -> None:
        async def read_and_answer() -> None:
            await meeting.on_chat_message(sender_identity, await reader.read_all())

        spawn(read_and_answer())

    room.on("participant_connected", on_participant_connected)
    room.on("track_subscribed", on_track_subscribed)
    room.on("participant_disconnected", on_participant_disconnected)
    room.register_text_stream_handler(CHAT_TOPIC, on_chat)
    return tasks


settings = get_settings()
server = AgentServer(
    setup_fnc=prewarm,
    ws_url=settings.livekit_url,
    api_key=settings.livekit_api_key,
    api_secret=settings.livekit_api_secret.get_secret_value(),
)


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
    )


async def serve(ctx: JobContext, *, config: AgentConfig, store: Store, llm, stt, embedder) -> MeetingAgent:
    """Registers the agent, wires the room to it and arranges its departure at shutdown."""
    room_id = room_id_from_dispatch_metadata(ctx.job.metadata)
    context = await store.run(lambda db: load_meeting_context(db=db, room_id=room_id))
    meeting = MeetingAgent(
        config=config,
        context=context,
        store=store,
        gateway=LiveKitRoomGateway(ctx.room),
        llm=llm,
        stt=stt,
        knowledge=DatabaseKnowledge(
            store=store, embedder=embedder, entity_id=context.entity_id, department_id=context.department_id
        ),
        agent_name=config.display_name,
    )
    await meeting.start()

    async def leave(reason: str) -> None:
        try:
            await meeting.close(reason or "job shutdown")
        except Exception:
            logger.exception("the agent could not record its departure", extra={"room_id": room_id})

    ctx.add_shutdown_callback(leave)
    try:
        connect_room(ctx.room, meeting)
        await ctx.connect(auto_subscribe=AutoSubscribe.AUDIO_ONLY)
        for participant in ctx.room.remote_participants.values():
            if (
                human := human_from_attributes(
                    participant.identity, participant.name, dict(participant.attributes)
                )
            ) is not None:
                meeting.participant_joined(human)  # their audio arrives through track_subscribed
    except Exception as exc:
        await meeting.events.error("agent", exc)
        ctx.shutdown(reason=f"agent failed: {type(exc).__name__}")
    return meeting


if __name__ == "__main__":
    cli.run_app(server)
