"""Suggestions reach professionals only, cite the knowledge base, and never flood."""

import json

from sqlalchemy import select

from agent_container.meeting_agent.transcription import Transcript
from meetings.meeting_protocol import SUGGESTIONS_TOPIC
from meetings.secretary.events.models import AgentEventName, AgentSessionEvent
from tests.agent.fakes import Reply, ScriptedLLM
from tests.agent.knowledge_fixtures import STENT_MEDICATION, seed_clinic_knowledge

CLIENT_WORRY = "I have been thinking about stopping clopidogrel because of the bruising after my stent."


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def said(human, text, at=0.0):
    return Transcript(human, "TR_mic", "SG_1", text, at, at + 3.0, "en", 0.9, 0.0)


def suggestion_events(db, room_id):
    return db.scalars(
        select(AgentSessionEvent).where(
            AgentSessionEvent.room_id == room_id,
            AgentSessionEvent.event_name == AgentEventName.SUGGESTION_PROVIDED.value,
        )
    ).all()


async def test_a_grounded_tip_goes_to_the_professional_and_never_to_the_client(
    meeting_setup, build_meeting, embedder
):
    seed_clinic_knowledge(meeting_setup.db, embedder, meeting_setup)
    model = ScriptedLLM([Reply("Remind Bruno not to stop clopidogrel without the cardiologist.", 700, 15)])
    meeting = build_meeting(llm=model)
    await meeting.start()
    meeting.participant_joined(meeting_setup.professional)
    meeting.participant_joined(meeting_setup.client)

    await meeting.on_transcript(said(meeting_setup.client, CLIENT_WORRY))
    await meeting.settle()

    [tip] = meeting_setup.gateway.on(SUGGESTIONS_TOPIC)
    assert tip.destination_identities == [meeting_setup.professional.identity]
    assert meeting_setup.client.identity not in tip.destination_identities
    payload = json.loads(tip.text)
    assert payload["text"] == "Remind Bruno not to stop clopidogrel without the cardiologist."
    assert payload["sources"][0] == {"document_name": "post-stent-care.pdf", "page": 3}
    assert STENT_MEDICATION in model.requests[0][1]
    assert CLIENT_WORRY in model.requests[0][1]
    [event] = suggestion_events(meeting_setup.db, meeting_setup.room.id)
    assert event.data["participant_id"] == meeting.registration.participant_id
    assert event.data["metadata"]["recipients"] == [meeting_setup.professional.participant_id]
    assert event.data["content"] == payload["text"]
    assert meeting.usage.suggestions == 1


async def test_no_professional_in_the_room_means_no_suggestion_at_all(meeting_setup, build_meeting, embedder):
    seed_clinic_knowledge(meeting_setup.db, embedder, meeting_setup)
    model = ScriptedLLM([])
    meeting = build_meeting(llm=model)
    await meeting.start()
    meeting.participant_joined(meeting_setup.client)

    await meeting.on_transcript(said(meeting_setup.client, CLIENT_WORRY))
    await meeting.settle()

    assert meeting_setup.gateway.on(SUGGESTIONS_TOPIC) == []
    assert model.requests == []


async def test_suggestions_are_rate_limited(meeting_setup, build_meeting, embedder):
    seed_clinic_knowledge(meeting_setup.db, embedder, meeting_setup)
    model = ScriptedLLM(lambda system, user: Reply("Mention the twelve-month therapy.", 600, 10))
    meeting = build_meeting(llm=model, suggestion_interval_seconds=60.0)
    clock = Clock()
    await meeting.start()
    meeting.advisor.clock = clock
    meeting.participant_joined(meeting_setup.professional)
    meeting.participant_joined(meeting_setup.client)

    for second in range(5):
        clock.now += 10
        await meeting.on_transcript(said(meeting_setup.client, CLIENT_WORRY, at=second))
        await meeting.settle()
    assert len(meeting_setup.gateway.on(SUGGESTIONS_TOPIC)) == 1

    clock.now += 60
    await meeting.on_transcript(said(meeting_setup.client, CLIENT_WORRY))
    await meeting.settle()
    assert len(meeting_setup.gateway.on(SUGGESTIONS_TOPIC)) == 2
    assert len(model.requests) == 2


async def test_small_talk_far_from_the_knowledge_base_costs_no_llm_call(
    meeting_setup, build_meeting, embedder
):
    seed_clinic_knowledge(meeting_setup.db, embedder, meeting_setup)
    model = ScriptedLLM([])
    meeting = build_meeting(llm=model, suggestion_min_score=0.9)
    await meeting.start()
    meeting.participant_joined(meeting_setup.professional)
    meeting.participant_joined(meeting_setup.client)

    await meeting.on_transcript(
        said(meeting_setup.client, "The football match last night was great, what a goal in the end.")
    )
    await meeting.settle()

    assert model.requests == []
    assert meeting_setup.gateway.on(SUGGESTIONS_TOPIC) == []


async def test_a_model_that_has_nothing_to_add_sends_nothing(meeting_setup, build_meeting, embedder):
    seed_clinic_knowledge(meeting_setup.db, embedder, meeting_setup)
    meeting = build_meeting(llm=ScriptedLLM([Reply("NONE", 600, 1)]))
    await meeting.start()
    meeting.participant_joined(meeting_setup.professional)

    await meeting.on_transcript(said(meeting_setup.client, CLIENT_WORRY))
    await meeting.settle()

    assert meeting_setup.gateway.on(SUGGESTIONS_TOPIC) == []
    assert suggestion_events(meeting_setup.db, meeting_setup.room.id) == []


async def test_a_room_that_refuses_the_tip_is_an_agent_error_and_the_meeting_goes_on(
    meeting_setup, build_meeting, embedder
):
    seed_clinic_knowledge(meeting_setup.db, embedder, meeting_setup)

    class BrokenRoom:
        async def send_text(self, text, **_):
            raise ConnectionError("signal connection lost")

    meeting = build_meeting(llm=ScriptedLLM(lambda system, user: Reply("Mention the therapy.", 600, 4)))
    meeting.gateway = BrokenRoom()
    await meeting.start()
    meeting.participant_joined(meeting_setup.professional)

    await meeting.on_transcript(said(meeting_setup.client, CLIENT_WORRY))
    await meeting.settle()

    stages = [
        e.data["metadata"]["stage"]
        for e in meeting_setup.db.scalars(
            select(AgentSessionEvent).where(
                AgentSessionEvent.room_id == meeting_setup.room.id,
                AgentSessionEvent.event_name == AgentEventName.AGENT_ERROR.value,
            )
        )
    ]
    assert stages == ["room", "agent"]  # the caption, then the suggestion
    assert not meeting.advisor.busy
