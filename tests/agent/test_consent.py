"""Consent to the assistant, as the secretary publishes it in participant attributes: a participant
who declined is never sent to speech recognition nor answered; a withdrawal stops hearing them."""

import asyncio
from dataclasses import replace

from agent_container.meeting_agent.worker import connect_room
from meetings.meeting_protocol import ATTR_CONSENT_ASSISTANT, CHAT_TOPIC
from tests.agent.fakes import AudioFeed, CodedSpeechSTT
from tests.agent.test_meeting_end_to_end import FakeRoom, FakeTextReader, FakeTrack, remote

PHRASES = {1: "Good morning, how are you feeling today?", 2: "I would rather the assistant did not hear me."}


def declined(human):
    participant = remote(human)
    return replace(participant, attributes={**participant.attributes, ATTR_CONSENT_ASSISTANT: "false"})


async def test_no_audio_of_a_participant_who_declined_reaches_speech_recognition(
    meeting_setup, build_meeting
):
    stt = CodedSpeechSTT(PHRASES)
    meeting = build_meeting(stt=stt)
    await meeting.start()
    feeds: dict[str, AudioFeed] = {}
    room = FakeRoom()
    pending = connect_room(
        room, meeting, audio_source=lambda track: feeds.setdefault(track.owner, AudioFeed())
    )
    doctor, client = meeting_setup.professional, meeting_setup.client

    for participant in (remote(doctor), declined(client)):
        room.emit("participant_connected", participant)
        room.emit("track_subscribed", FakeTrack(owner=participant.identity), None, participant)
    await asyncio.gather(*list(pending))
    room.text_handlers[CHAT_TOPIC](FakeTextReader("Assistant, can you hear me?"), client.identity)
    await asyncio.gather(*list(pending))

    assert set(meeting.humans) == {doctor.identity}
    assert client.identity not in feeds  # their track was never even read
    assert stt.streams_opened == 1  # the doctor's stream only
    assert meeting_setup.gateway.sent == []  # nothing answered to the one who declined


async def test_a_withdrawal_stops_hearing_the_participant(meeting_setup, build_meeting):
    stt = CodedSpeechSTT(PHRASES)
    meeting = build_meeting(stt=stt)
    await meeting.start()
    room = FakeRoom()
    pending = connect_room(room, meeting, audio_source=lambda track: AudioFeed())
    client = remote(meeting_setup.client)
    room.emit("participant_connected", client)
    await asyncio.gather(*list(pending))
    assert meeting_setup.client.identity in meeting.humans

    withdrawn = replace(client, attributes={**client.attributes, ATTR_CONSENT_ASSISTANT: "false"})
    room.emit("participant_attributes_changed", {ATTR_CONSENT_ASSISTANT: "false"}, withdrawn)

    assert meeting_setup.client.identity not in meeting.humans
    assert meeting_setup.client.identity not in meeting.transcriber.identities


async def test_nothing_said_after_a_withdrawal_is_transcribed_captioned_or_stored(
    meeting_setup, build_meeting
):
    """The participant stays connected and keeps speaking: their stream is cut at the withdrawal, not
    drained as for someone who left (a drain would go on reading their microphone)."""
    from sqlalchemy import select

    from meetings.meeting_protocol import TRANSCRIPTION_TOPIC
    from meetings.secretary.transcripts.models import TranscriptSegment

    stt = CodedSpeechSTT(PHRASES)
    meeting = build_meeting(stt=stt)
    meeting.transcriber.drain_seconds = 5.0  # the default: a drain would outlast what follows
    await meeting.start()
    feed = AudioFeed()
    room = FakeRoom()
    pending = connect_room(room, meeting, audio_source=lambda track: feed)
    client = remote(meeting_setup.client)
    room.emit("participant_connected", client)
    room.emit("track_subscribed", FakeTrack(owner=client.identity), None, client)
    await asyncio.gather(*list(pending))
    feed.say(1)
    await feed.drained()
    await asyncio.sleep(0.3)

    withdrawn = replace(client, attributes={**client.attributes, ATTR_CONSENT_ASSISTANT: "false"})
    room.emit("participant_attributes_changed", {ATTR_CONSENT_ASSISTANT: "false"}, withdrawn)
    feed.say(2, seconds=0.3, pause=0.2)
    await asyncio.sleep(1.5)
    await meeting.events.flush()

    stored = meeting_setup.db.scalars(
        select(TranscriptSegment.text).where(TranscriptSegment.room_id == meeting_setup.room.id)
    ).all()
    assert stored == [PHRASES[1]]
    captions = [sent.text for sent in meeting_setup.gateway.on(TRANSCRIPTION_TOPIC)]
    assert PHRASES[1] in captions and PHRASES[2] not in captions
    assert client.identity not in meeting.transcriber.identities


async def test_a_withdrawal_that_arrives_while_the_agent_looks_the_participant_up_is_kept(
    meeting_setup, build_meeting
):
    """The SDK updates the participant's attributes in place, then raises the event: a withdrawal that
    lands while the database says who they are still wins once it answers."""
    meeting = build_meeting(stt=CodedSpeechSTT(PHRASES))
    await meeting.start()
    room = FakeRoom()
    pending = connect_room(room, meeting, audio_source=lambda track: AudioFeed())
    client = remote(meeting_setup.client)
    room.emit("participant_connected", client)
    room.emit("track_subscribed", FakeTrack(owner=client.identity), None, client)
    await asyncio.sleep(0)  # both joins now wait on the database

    client.attributes[ATTR_CONSENT_ASSISTANT] = "false"
    room.emit("participant_attributes_changed", {ATTR_CONSENT_ASSISTANT: "false"}, client)
    await asyncio.gather(*list(pending))

    assert client.identity not in meeting.humans
    assert client.identity not in meeting.transcriber.identities


async def test_a_database_blip_while_a_participant_joins_is_retried_and_they_are_heard(
    meeting_setup, build_meeting, store
):
    from contextlib import contextmanager

    from sqlalchemy.exc import OperationalError

    meeting = build_meeting(stt=CodedSpeechSTT(PHRASES))
    meeting.config = meeting.config.model_copy(update={"register_backoff_seconds": 0.01})
    await meeting.start()
    healthy, calls = store.session_scope, []

    @contextmanager
    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("connect", {}, Exception("connection refused"))
        with healthy() as db:
            yield db

    store.session_scope = flaky
    room = FakeRoom()
    pending = connect_room(room, meeting, audio_source=lambda track: AudioFeed())
    client = remote(meeting_setup.client)
    room.remote_participants[client.identity] = client  # already connected: one lookup, for the track
    room.emit("track_subscribed", FakeTrack(owner=client.identity), None, client)
    await asyncio.gather(*list(pending))

    assert len(calls) == 2  # the failed lookup, then its retry
    assert client.identity in meeting.humans and client.identity in meeting.transcriber.identities
