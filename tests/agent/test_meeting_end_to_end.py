"""A whole scripted meeting through the worker's room wiring: a professional and a client talk, the
client asks in the chat, the professional gets a tip, the agent leaves; the database tells the story."""

import asyncio
import json
from dataclasses import dataclass, field

from livekit import rtc
from sqlalchemy import select

from agent_container.meeting_agent.worker import connect_room
from meetings.meeting_protocol import (
    ATTR_CONSENT_ASSISTANT,
    ATTR_PARTICIPANT_ID,
    ATTR_PARTICIPANT_TYPE,
    CHAT_TOPIC,
    SUGGESTIONS_TOPIC,
    TRANSCRIPTION_TOPIC,
)
from meetings.secretary.agent_usage.models import AgentUsage
from meetings.secretary.events.models import AgentEventName, AgentSessionEvent
from tests.agent.fakes import AudioFeed, CodedSpeechSTT, Reply, ScriptedLLM
from tests.agent.knowledge_fixtures import BILLING, STENT_MEDICATION, seed_clinic_knowledge

PHRASES = {
    1: "Good morning Bruno, how have you been since the stent?",
    2: "Better, but the bruising worries me and I am thinking about stopping clopidogrel soon.",
}


@dataclass
class FakeRemoteParticipant:
    identity: str
    name: str
    attributes: dict[str, str]


@dataclass
class FakeTrack:
    owner: str
    kind: int = rtc.TrackKind.KIND_AUDIO


@dataclass
class FakeTextReader:
    text: str

    async def read_all(self) -> str:
        return self.text


class FakeRoom(rtc.EventEmitter):
    """The events a LiveKit room raises, raised by the test."""

    def __init__(self):
        super().__init__()
        self.text_handlers = {}
        self.remote_participants = {}

    def emit(self, event, *args):
        if event == "participant_connected":
            self.remote_participants[args[0].identity] = args[0]
        elif event == "participant_disconnected":
            self.remote_participants.pop(args[0].identity, None)
        return super().emit(event, *args)

    def register_text_stream_handler(self, topic, handler) -> None:
        self.text_handlers[topic] = handler


@dataclass
class Microphones:
    feeds: dict[str, AudioFeed] = field(default_factory=dict)

    def __call__(self, track: FakeTrack) -> AudioFeed:
        return self.feeds.setdefault(track.owner, AudioFeed())


def remote(human) -> FakeRemoteParticipant:
    return FakeRemoteParticipant(
        identity=human.identity,
        name=human.name,
        attributes={
            ATTR_PARTICIPANT_ID: str(human.participant_id),
            ATTR_PARTICIPANT_TYPE: human.type.value,
            ATTR_CONSENT_ASSISTANT: "true",
        },
    )


def answer_or_tip(system: str, user: str) -> Reply:
    if "Question from" in user:
        return Reply("Invoices are payable within thirty days.", 800, 20)
    return Reply("Remind Bruno never to stop clopidogrel without asking the cardiologist.", 1200, 25)


async def test_a_scripted_meeting_end_to_end(meeting_setup, build_meeting, embedder):
    db, setup = meeting_setup.db, meeting_setup
    seed_clinic_knowledge(db, embedder, setup)
    model = ScriptedLLM(answer_or_tip)
    meeting = build_meeting(llm=model, stt=CodedSpeechSTT(PHRASES), suggestion_min_new_chars=60)
    room, microphones = FakeRoom(), Microphones()
    registration = await meeting.start()
    pending = connect_room(room, meeting, audio_source=microphones)

    # Both humans join and publish their microphones; a recorder joins too and is ignored.
    for human in (setup.professional, setup.client):
        room.emit("participant_connected", remote(human))
        room.emit("track_subscribed", FakeTrack(owner=human.identity), None, remote(human))
    room.emit("participant_connected", FakeRemoteParticipant("EG_recorder", "", {}))
    await asyncio.gather(*list(pending))  # each arrival is confirmed against the database first
    assert set(meeting.humans) == {setup.professional.identity, setup.client.identity}

    # Each speaks; muting (the end of their audio) lets the test wait until all of it is transcribed.
    doctor, client = microphones.feeds[setup.professional.identity], microphones.feeds[setup.client.identity]
    doctor.say(1, seconds=2.0)
    doctor.hang_up()
    await asyncio.wait_for(meeting.transcriber.finished(setup.professional.identity), timeout=30)
    client.say(2, seconds=3.0)
    client.hang_up()
    await asyncio.wait_for(meeting.transcriber.finished(setup.client.identity), timeout=30)

    room.text_handlers[CHAT_TOPIC](
        FakeTextReader("Assistant, when do I have to pay the invoice for today?"), setup.client.identity
    )
    await asyncio.gather(*pending)
    await meeting.settle()

    room.emit("participant_disconnected", remote(setup.client))
    room.emit("participant_disconnected", remote(setup.professional))
    await asyncio.gather(*pending)
    await meeting.close("room ended")

    # In the room: captions for everyone, the answer for the client, the tip for the professional.
    captions = {s.text: s.sender_identity for s in setup.gateway.on(TRANSCRIPTION_TOPIC)}
    assert captions == {PHRASES[1]: setup.professional.identity, PHRASES[2]: setup.client.identity}
    [answer] = setup.gateway.on(CHAT_TOPIC)
    assert answer.destination_identities == [setup.client.identity]
    assert "billing-policy.pdf (p. 2)" in answer.text
    [tip] = setup.gateway.on(SUGGESTIONS_TOPIC)
    assert tip.destination_identities == [setup.professional.identity]
    assert json.loads(tip.text)["sources"][0] == {"document_name": "post-stent-care.pdf", "page": 3}
    prompts = [user for _, user in model.requests]
    assert any(BILLING in p and "when do I have to pay" in p for p in prompts)
    assert any(STENT_MEDICATION in p and PHRASES[2] in p for p in prompts)

    # In the database: the story of the meeting, each event attributed.
    events = db.scalars(
        select(AgentSessionEvent)
        .where(AgentSessionEvent.room_id == setup.room.id)
        .order_by(AgentSessionEvent.id)
    ).all()
    by_name: dict[str, list] = {}
    for event in events:
        by_name.setdefault(event.event_name, []).append(event.data)
    assert events[0].event_name == AgentEventName.AGENT_JOINED
    assert events[-1].event_name == AgentEventName.AGENT_LEFT
    assert [(e["participant_id"], e["content"]) for e in by_name[AgentEventName.TRANSCRIPTION_PROCESSED]] == [
        (setup.professional.participant_id, PHRASES[1]),
        (setup.client.participant_id, PHRASES[2]),
    ]
    [answered] = by_name[AgentEventName.QUESTION_ANSWERED]
    assert answered["participant_id"] == setup.client.participant_id
    assert answered["metadata"]["sources"][0] == {"document_name": "billing-policy.pdf", "page": 2}
    [suggested] = by_name[AgentEventName.SUGGESTION_PROVIDED]
    assert suggested["metadata"]["recipients"] == [setup.professional.participant_id]
    assert len(by_name[AgentEventName.CONTEXT_RETRIEVED]) == 2
    assert AgentEventName.AGENT_ERROR not in by_name

    usage = db.get(AgentUsage, registration.usage_id)
    db.refresh(usage)
    assert usage.session_end is not None and usage.duration_seconds is not None
    assert usage.data["total_tokens_input"] == 800 + 1200
    assert usage.data["total_tokens_output"] == 20 + 25
    assert usage.data["interactions_count"] == 1
    assert usage.data["transcription_count"] == 2
    assert usage.data["kb_queries_count"] == 2
    assert usage.data["suggestions_count"] == 1
    assert usage.data["total_audio_minutes"] == round((2.3 + 3.3) / 60, 4)
    assert usage.data["cost_estimate"] > 0
