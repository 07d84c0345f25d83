"""The production speech path: the real livekit-plugins-openai realtime STT, built as the worker builds it,
against a local websocket server speaking OpenAI's realtime transcription protocol (final transcripts
without timings or confidence, server-side turn events, a socket that stays open). Audio is played at
the pace of a real microphone."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from livekit.agents.utils import http_context
from sqlalchemy import select

from agent_container.meeting_agent.config import AgentConfig
from agent_container.meeting_agent.worker import build_stt
from meetings.meeting_protocol import CHAT_TOPIC, TRANSCRIPTION_TOPIC
from meetings.secretary.events.models import AgentEventName, AgentSessionEvent
from meetings.secretary.transcripts.models import TranscriptSegment
from meetings.settings import Settings
from tests.agent.fakes import PacedFeed, Reply, ScriptedLLM
from tests.agent.knowledge_fixtures import seed_clinic_knowledge
from tests.agent.realtime_stt_server import RealtimeTranscriptionStandIn, start_stand_in

PHRASES = {
    1: "Much better, only some bruising.",
    2: "Is the swelling normal?",
    5: "Assistant.",
    6: "When are invoices due?",
}
ROOM_STARTED_AGO = 30.0
# The clock reads where the audio sent so far ends when an event arrives; a frame (100 ms) plus the
# event's trip over the loopback is the slack.
SLACK = 0.3


@pytest.fixture
async def realtime():
    stand_in = RealtimeTranscriptionStandIn(PHRASES)
    base_url, runner = await start_stand_in(stand_in)
    settings = Settings(openai_base_url=base_url, openai_api_key="sk-test-local")
    yield stand_in, build_stt(AgentConfig(), settings)
    await runner.cleanup()


def events(db, room_id, name):
    return db.scalars(
        select(AgentSessionEvent)
        .where(AgentSessionEvent.room_id == room_id, AgentSessionEvent.event_name == name.value)
        .order_by(AgentSessionEvent.id)
    ).all()


def room_started(meeting_setup) -> None:
    meeting_setup.room.started_at = datetime.now(UTC) - timedelta(seconds=ROOM_STARTED_AGO)
    meeting_setup.db.flush()


async def test_final_segments_are_timed_from_the_room_start_and_interim_captions_show_the_speaker(
    meeting_setup, build_meeting, realtime
):
    stand_in, stt = realtime
    room_started(meeting_setup)
    meeting = build_meeting(stt=stt)
    await meeting.start()
    client = meeting_setup.client
    feed = PacedFeed([(0, 0.3), (1, 1.0), (0, 0.6), (2, 0.8), (0, 0.6)])

    async with http_context.open():
        meeting.participant_joined(client, audio=feed, track_sid="TR_client_mic")
        await asyncio.wait_for(meeting.transcriber.finished(client.identity), timeout=30)

    first, second = (
        e.data
        for e in events(meeting_setup.db, meeting_setup.room.id, AgentEventName.TRANSCRIPTION_PROCESSED)
    )
    assert (first["content"], second["content"]) == (PHRASES[1], PHRASES[2])
    # speech from 0.3 s to 1.3 s and from 1.9 s to 2.7 s of the client's audio, which began 30 s into
    # the room; the end includes the recognizer's 350 ms silence window, as OpenAI's audio_end_ms does
    expected = [
        (ROOM_STARTED_AGO + 0.3, ROOM_STARTED_AGO + 1.3 + 0.35),
        (ROOM_STARTED_AGO + 1.9, ROOM_STARTED_AGO + 2.7 + 0.35),
    ]
    for data, (start, end) in zip((first, second), expected, strict=True):
        metadata = data["metadata"]
        assert abs(metadata["start_seconds"] - start) <= SLACK, metadata
        assert abs(metadata["end_seconds"] - end) <= SLACK, metadata
        assert metadata["duration_seconds"] == pytest.approx(
            metadata["end_seconds"] - metadata["start_seconds"]
        )
        assert metadata["confidence"] is None  # the engine gives none
        assert metadata["track_sid"] == "TR_client_mic"

    # the visit's transcript resource holds the same segments, with the same times
    segments = meeting_setup.db.scalars(
        select(TranscriptSegment)
        .where(TranscriptSegment.room_id == meeting_setup.room.id)
        .order_by(TranscriptSegment.id)
    ).all()
    assert [(s.text, float(s.start_seconds), s.confidence, s.participant_id) for s in segments] == [
        (d["content"], d["metadata"]["start_seconds"], None, client.participant_id) for d in (first, second)
    ]

    captions = meeting_setup.gateway.on(TRANSCRIPTION_TOPIC)
    assert {c.sender_identity for c in captions} == {client.identity}
    assert {c.attributes["lk.transcribed_track_id"] for c in captions} == {"TR_client_mic"}
    finals = [c for c in captions if c.attributes["lk.transcription_final"] == "true"]
    interims = [c for c in captions if c.attributes["lk.transcription_final"] == "false"]
    assert [c.text for c in finals] == [PHRASES[1], PHRASES[2]]
    assert [c.text for c in interims] == ["Much", "Is"]
    for interim, final in zip(interims, finals, strict=True):
        assert interim.attributes["lk.segment_id"] == final.attributes["lk.segment_id"]
    assert finals[0].attributes["lk.segment_id"] != finals[1].attributes["lk.segment_id"]


async def test_the_last_words_before_someone_leaves_are_transcribed(meeting_setup, build_meeting, realtime):
    stand_in, stt = realtime
    meeting = build_meeting(stt=stt, stt_drain_seconds=5.0)
    await meeting.start()
    client = meeting_setup.client
    feed = PacedFeed([(0, 0.2), (1, 1.0)])  # they speak until their track ends

    async with http_context.open():
        meeting.participant_joined(client, audio=feed, track_sid="TR_client_mic")
        await asyncio.wait_for(feed.ended.wait(), timeout=30)
        await asyncio.wait_for(meeting.participant_left(client.identity), timeout=30)

    [last] = events(meeting_setup.db, meeting_setup.room.id, AgentEventName.TRANSCRIPTION_PROCESSED)
    assert last.data["content"] == PHRASES[1]
    assert meeting.transcriber.identities == set()


async def test_a_wake_word_cut_off_by_the_silence_is_joined_with_the_question_that_follows(
    meeting_setup, build_meeting, realtime, embedder
):
    stand_in, stt = realtime
    seed_clinic_knowledge(meeting_setup.db, embedder, meeting_setup)
    model = ScriptedLLM([Reply("Invoices are due within thirty days.", 300, 9)])
    meeting = build_meeting(llm=model, stt=stt)
    await meeting.start()
    client = meeting_setup.client
    feed = PacedFeed([(0, 0.2), (5, 0.5), (0, 0.5), (6, 1.0), (0, 0.6)])

    async with http_context.open():
        meeting.participant_joined(client, audio=feed, track_sid="TR_client_mic")
        await asyncio.wait_for(meeting.transcriber.finished(client.identity), timeout=30)
        await meeting.settle()

    said = [
        e.data["content"]
        for e in events(meeting_setup.db, meeting_setup.room.id, AgentEventName.TRANSCRIPTION_PROCESSED)
    ]
    assert said == [PHRASES[5], PHRASES[6]]  # two segments: the silence cut the address off
    [answered] = events(meeting_setup.db, meeting_setup.room.id, AgentEventName.QUESTION_ANSWERED)
    assert answered.data["metadata"]["question"] == PHRASES[6]
    assert answered.data["metadata"]["channel"] == "speech"
    [sent] = meeting_setup.gateway.on(CHAT_TOPIC)
    assert sent.destination_identities == [client.identity]
    assert len(model.requests) == 1


async def test_an_utterance_completed_without_words_does_not_shift_the_times_after_it(
    meeting_setup, build_meeting
):
    """A cough: the service reports speech, then completes it with an empty transcript (the plugin sends
    no final, only its usage). The sentence after it keeps its own times."""
    stand_in = RealtimeTranscriptionStandIn({**PHRASES, 3: ""})
    base_url, runner = await start_stand_in(stand_in)
    stt = build_stt(AgentConfig(), Settings(openai_base_url=base_url, openai_api_key="sk-test-local"))
    room_started(meeting_setup)
    meeting = build_meeting(stt=stt)
    await meeting.start()
    client = meeting_setup.client
    feed = PacedFeed([(0, 0.3), (3, 0.4), (0, 0.8), (1, 1.0), (0, 0.6)])
    try:
        async with http_context.open():
            meeting.participant_joined(client, audio=feed, track_sid="TR_client_mic")
            await asyncio.wait_for(meeting.transcriber.finished(client.identity), timeout=30)
    finally:
        await runner.cleanup()

    [only] = events(meeting_setup.db, meeting_setup.room.id, AgentEventName.TRANSCRIPTION_PROCESSED)
    assert only.data["content"] == PHRASES[1]
    # the sentence runs from 1.5 s to 2.5 s of the audio (plus the 350 ms silence window), not the cough's
    assert abs(only.data["metadata"]["start_seconds"] - (ROOM_STARTED_AGO + 1.5)) <= SLACK
    assert abs(only.data["metadata"]["end_seconds"] - (ROOM_STARTED_AGO + 2.5 + 0.35)) <= SLACK
