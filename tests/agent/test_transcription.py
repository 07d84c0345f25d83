"""One recognition stream per participant: transcripts attributed, timed, published and logged;
a failing stream is reported and restarted."""

import asyncio
import dataclasses

from sqlalchemy import select

from meetings.meeting_protocol import TRANSCRIPTION_TOPIC
from meetings.secretary.events.models import AgentEventName, AgentSessionEvent
from tests.agent.fakes import STT_FAILURE_CODE, AudioFeed, CodedSpeechSTT

PHRASES = {
    1: "How are you feeling since the procedure?",
    2: "Much better, only some bruising.",
    3: "Any chest pain when climbing stairs?",
    4: "No, none at all.",
}


def transcription_events(db, room_id):
    return db.scalars(
        select(AgentSessionEvent)
        .where(
            AgentSessionEvent.room_id == room_id,
            AgentSessionEvent.event_name == AgentEventName.TRANSCRIPTION_PROCESSED.value,
        )
        .order_by(AgentSessionEvent.id)
    ).all()


async def finish(meeting, feeds: dict) -> None:
    """Ends each participant's audio, waits until all of it is transcribed, and lets the event log's
    writes finish (they share the test's session, which the test reads next)."""
    for identity, feed in feeds.items():
        feed.hang_up()
        await asyncio.wait_for(meeting.transcriber.finished(identity), timeout=30)
    await meeting.events.flush()


async def until(condition, timeout: float = 30.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


async def test_each_participant_is_transcribed_and_attributed(meeting_setup, build_meeting):
    stt = CodedSpeechSTT(PHRASES)
    meeting = build_meeting(stt=stt)
    meeting.transcriber.now = lambda: meeting.transcriber.room_started_at  # timings are audio time only
    await meeting.start()
    doctor, client = AudioFeed(), AudioFeed()
    meeting.participant_joined(meeting_setup.professional, audio=doctor)
    meeting.participant_joined(meeting_setup.client, audio=client)

    doctor.say(1, seconds=2.0)
    client.say(2, seconds=1.5)
    doctor.say(3, seconds=1.0)
    client.say(4, seconds=0.5)
    await finish(
        meeting, {meeting_setup.professional.identity: doctor, meeting_setup.client.identity: client}
    )

    assert stt.streams_opened == 2
    by_speaker: dict[int, list[str]] = {}
    for event in transcription_events(meeting_setup.db, meeting_setup.room.id):
        by_speaker.setdefault(event.data["participant_id"], []).append(event.data["content"])
    assert by_speaker == {
        meeting_setup.professional.participant_id: [PHRASES[1], PHRASES[3]],
        meeting_setup.client.participant_id: [PHRASES[2], PHRASES[4]],
    }
    doctor_events = [
        e
        for e in transcription_events(meeting_setup.db, meeting_setup.room.id)
        if e.data["participant_id"] == meeting_setup.professional.participant_id
    ]
    first, second = (e.data["metadata"] for e in doctor_events)
    assert (first["start_seconds"], first["end_seconds"]) == (0.0, 2.0)
    assert (second["start_seconds"], second["end_seconds"]) == (2.3, 3.3)
    assert first["speaker_type"] == "PROFESSIONAL"

    published = meeting_setup.gateway.on(TRANSCRIPTION_TOPIC)
    assert sorted(s.text for s in published) == sorted(PHRASES.values())
    for sent in published:
        speaker = (
            meeting_setup.professional if sent.text in (PHRASES[1], PHRASES[3]) else meeting_setup.client
        )
        assert sent.sender_identity == speaker.identity
        assert sent.attributes["lk.transcription_final"] == "true"
    assert meeting.usage.transcriptions == 4
    assert abs(meeting.usage.audio_seconds - (2.3 + 1.8 + 1.3 + 0.8)) < 1e-6


async def test_a_participant_who_leaves_stops_being_transcribed(meeting_setup, build_meeting):
    meeting = build_meeting(stt=CodedSpeechSTT(PHRASES))
    await meeting.start()
    client = AudioFeed()
    meeting.participant_joined(meeting_setup.client, audio=client)
    client.say(2)
    await client.drained()
    await asyncio.sleep(0.05)

    await meeting.participant_left(meeting_setup.client.identity)
    client.say(4)
    await asyncio.sleep(0.05)

    assert meeting.transcriber.identities == set()
    assert meeting_setup.client.identity not in meeting.humans
    texts = [e.data["content"] for e in transcription_events(meeting_setup.db, meeting_setup.room.id)]
    assert PHRASES[4] not in texts


async def test_a_failed_stream_is_an_agent_error_and_transcription_goes_on(meeting_setup, build_meeting):
    stt = CodedSpeechSTT(PHRASES)
    meeting = build_meeting(stt=stt)
    await meeting.start()
    client, doctor = AudioFeed(), AudioFeed()
    meeting.participant_joined(meeting_setup.client, audio=client)
    meeting.participant_joined(meeting_setup.professional, audio=doctor)

    client.say(2)
    client.say(STT_FAILURE_CODE, seconds=0.1, pause=0.0)
    await until(lambda: stt.streams_opened == 3)  # the doctor's stream, the client's first and its restart
    client.say(4)
    doctor.say(1)
    await finish(
        meeting, {meeting_setup.client.identity: client, meeting_setup.professional.identity: doctor}
    )

    errors = meeting_setup.db.scalars(
        select(AgentSessionEvent).where(
            AgentSessionEvent.room_id == meeting_setup.room.id,
            AgentSessionEvent.event_name == AgentEventName.AGENT_ERROR.value,
        )
    ).all()
    assert [e.data["metadata"]["stage"] for e in errors] == ["stt"]
    assert errors[0].data["participant_id"] == meeting_setup.client.participant_id
    texts = [e.data["content"] for e in transcription_events(meeting_setup.db, meeting_setup.room.id)]
    assert sorted(texts) == sorted([PHRASES[2], PHRASES[4], PHRASES[1]])
    assert stt.streams_opened == 3  # the client's stream was restarted once


async def test_the_agent_stops_retrying_a_stream_that_keeps_failing(meeting_setup, build_meeting):
    stt = CodedSpeechSTT(PHRASES)
    meeting = build_meeting(stt=stt, stt_restart_limit=2)
    await meeting.start()
    client = AudioFeed()
    meeting.participant_joined(meeting_setup.client, audio=client)

    for opened in (2, 3):
        client.say(STT_FAILURE_CODE, seconds=0.1, pause=0.0)
        await until(lambda opened=opened: stt.streams_opened == opened)
    client.say(STT_FAILURE_CODE, seconds=0.1, pause=0.0)
    await asyncio.wait_for(meeting.transcriber.finished(meeting_setup.client.identity), timeout=30)

    assert stt.streams_opened == 3
    assert meeting.transcriber.identities == set()


async def test_a_quick_rejoin_keeps_the_new_join_when_the_old_one_is_handled_late(
    meeting_setup, build_meeting
):
    meeting = build_meeting(stt=CodedSpeechSTT(PHRASES))
    await meeting.start()
    first_join = dataclasses.replace(meeting_setup.client, sid="PA_first")
    second_join = dataclasses.replace(meeting_setup.client, sid="PA_second")
    old_mic, new_mic = AudioFeed(), AudioFeed()
    meeting.participant_joined(first_join, audio=old_mic, track_sid="TR_old")

    # LiveKit reports the new join before the agent has handled the old one's departure
    meeting.participant_joined(second_join, audio=new_mic, track_sid="TR_new")
    old_mic.hang_up()
    await meeting.participant_left(first_join.identity, sid="PA_first")

    assert meeting.humans[second_join.identity].sid == "PA_second"
    assert meeting.transcriber.tracks_of(second_join.identity) == {"TR_new"}
    new_mic.say(2)
    await finish(meeting, {second_join.identity: new_mic})
    texts = [e.data["content"] for e in transcription_events(meeting_setup.db, meeting_setup.room.id)]
    assert texts == [PHRASES[2]]


async def test_a_second_audio_track_is_transcribed_beside_the_microphone(meeting_setup, build_meeting):
    meeting = build_meeting(stt=CodedSpeechSTT(PHRASES))
    await meeting.start()
    microphone, screen_share_audio = AudioFeed(), AudioFeed()
    meeting.participant_joined(meeting_setup.professional, audio=microphone, track_sid="TR_mic")
    meeting.participant_joined(meeting_setup.professional, audio=screen_share_audio, track_sid="TR_screen")

    microphone.say(1)
    screen_share_audio.say(3)
    microphone.hang_up()
    screen_share_audio.hang_up()
    await asyncio.wait_for(meeting.transcriber.finished(meeting_setup.professional.identity), timeout=30)

    published = meeting_setup.gateway.on(TRANSCRIPTION_TOPIC)
    by_track = {s.attributes["lk.transcribed_track_id"]: s.text for s in published}
    assert by_track == {"TR_mic": PHRASES[1], "TR_screen": PHRASES[3]}


async def test_failures_spread_over_a_long_meeting_never_stop_transcription(meeting_setup, build_meeting):
    stt = CodedSpeechSTT(PHRASES)
    meeting = build_meeting(stt=stt, stt_restart_limit=2)
    await meeting.start()
    client = AudioFeed()
    meeting.participant_joined(meeting_setup.client, audio=client)

    for failure in range(1, 6):  # more failures in all than the limit, each after working speech
        client.say(2)
        client.say(STT_FAILURE_CODE, seconds=0.1, pause=0.0)
        await until(lambda failure=failure: stt.streams_opened == failure + 1)
    client.say(4)
    await finish(meeting, {meeting_setup.client.identity: client})

    texts = [e.data["content"] for e in transcription_events(meeting_setup.db, meeting_setup.room.id)]
    assert texts == [PHRASES[2]] * 5 + [PHRASES[4]]


def test_an_utterance_too_long_for_one_segment_is_cut_at_spaces_and_timed_by_its_characters():
    from agent_container.meeting_agent.transcription import spoken_pieces
    from meetings.secretary.transcripts.models import MAX_SEGMENT_CHARACTERS

    assert spoken_pieces("No, none at all.", 3.0, 4.5) == [("No, none at all.", 3.0, 4.5)]

    words = " ".join(f"word{n}" for n in range(5000))  # 43,889 characters
    pieces = spoken_pieces(words, 10.0, 250.0)
    assert len(words) == 43_889 and len(pieces) == 5
    assert all(len(text) <= MAX_SEGMENT_CHARACTERS for text, _, _ in pieces)
    assert " ".join(text for text, _, _ in pieces) == words  # nothing lost, no word split
    assert pieces[0][1] == 10.0 and pieces[-1][2] == 250.0
    assert all(earlier[2] == later[1] for earlier, later in zip(pieces, pieces[1:], strict=False))
    first_text, first_start, first_end = pieces[0]
    assert abs((first_end - first_start) / 240.0 - len(first_text) / sum(len(t) for t, _, _ in pieces)) < 1e-9

    unbroken = "a" * (MAX_SEGMENT_CHARACTERS + 5)  # no space to cut at
    assert [len(text) for text, _, _ in spoken_pieces(unbroken, 0.0, 1.0)] == [MAX_SEGMENT_CHARACTERS, 5]
