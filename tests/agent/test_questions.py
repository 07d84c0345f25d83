"""Questions to the assistant: grounded in the knowledge base, answered to the asker only, sourced."""

import asyncio
import json

from sqlalchemy import select

from meetings.meeting_protocol import CHAT_TOPIC
from meetings.secretary.events.models import AgentEventName, AgentSessionEvent
from tests.agent.fakes import Reply, ScriptedLLM, llm_failure
from tests.agent.knowledge_fixtures import (
    STENT_MEDICATION,
    WALKING_DEPARTMENT,
    WALKING_ENTITY,
    seed_clinic_knowledge,
)


def events(db, room_id, name):
    return db.scalars(
        select(AgentSessionEvent)
        .where(AgentSessionEvent.room_id == room_id, AgentSessionEvent.event_name == name.value)
        .order_by(AgentSessionEvent.id)
    ).all()


async def test_chat_question_is_answered_to_the_asker_from_the_right_document(
    meeting_setup, build_meeting, embedder
):
    seed_clinic_knowledge(meeting_setup.db, embedder, meeting_setup)
    model = ScriptedLLM(
        [Reply("Keep taking clopidogrel for twelve months [post-stent-care.pdf, page 3].", 900, 40)]
    )
    meeting = build_meeting(llm=model)
    await meeting.start()
    meeting.participant_joined(meeting_setup.professional)
    meeting.participant_joined(meeting_setup.client)

    await meeting.on_chat_message(
        meeting_setup.client.identity, "Can I stop taking clopidogrel after my stent?", addressed=True
    )
    await meeting.settle()

    system, user = model.requests[0]
    assert system == meeting.instructions
    assert STENT_MEDICATION in user, "the answer must be grounded in the retrieved chunk"
    assert "Can I stop taking clopidogrel" in user
    [sent] = meeting_setup.gateway.on(CHAT_TOPIC)
    assert sent.destination_identities == [meeting_setup.client.identity]
    assert sent.text.startswith("Keep taking clopidogrel")
    assert "post-stent-care.pdf (p. 3)" in sent.text
    sources = json.loads(sent.attributes["meetings.sources"])
    assert sources[0] == {"document_name": "post-stent-care.pdf", "page": 3}

    [retrieved] = events(meeting_setup.db, meeting_setup.room.id, AgentEventName.CONTEXT_RETRIEVED)
    assert retrieved.data["participant_id"] == meeting_setup.client.participant_id
    top = retrieved.data["metadata"]["chunks"][0]
    assert (top["document_name"], top["page"]) == ("post-stent-care.pdf", 3)
    assert all(0 < chunk["score"] <= 1 for chunk in retrieved.data["metadata"]["chunks"])
    [answered] = events(meeting_setup.db, meeting_setup.room.id, AgentEventName.QUESTION_ANSWERED)
    assert answered.data["participant_id"] == meeting_setup.client.participant_id
    assert (
        answered.data["content"] == "Keep taking clopidogrel for twelve months [post-stent-care.pdf, page 3]."
    )
    assert answered.data["metadata"]["sources"][0] == {"document_name": "post-stent-care.pdf", "page": 3}
    assert answered.data["metadata"]["channel"] == "chat"
    assert meeting.usage.interactions == 1 and meeting.usage.kb_queries == 1


async def test_department_version_of_a_document_replaces_the_entity_wide_one(
    meeting_setup, build_meeting, embedder
):
    seed_clinic_knowledge(meeting_setup.db, embedder, meeting_setup)
    model = ScriptedLLM([Reply("Start supervised walking one week after the procedure.", 500, 12)])
    meeting = build_meeting(llm=model)
    await meeting.start()
    meeting.participant_joined(meeting_setup.client)

    await meeting.on_chat_message(
        meeting_setup.client.identity, "When can I start walking after the stent placement?", addressed=True
    )
    await meeting.settle()

    user_prompt = model.requests[0][1]
    assert WALKING_DEPARTMENT in user_prompt
    assert WALKING_ENTITY not in user_prompt
    [retrieved] = events(meeting_setup.db, meeting_setup.room.id, AgentEventName.CONTEXT_RETRIEVED)
    top = retrieved.data["metadata"]["chunks"][0]
    assert (top["document_name"], top["page"], top["department_id"]) == (
        "exercise-guide.pdf",
        7,
        meeting_setup.department.id,
    )


async def test_speech_naming_the_assistant_is_a_question(meeting_setup, build_meeting, embedder):
    from agent_container.meeting_agent.transcription import Transcript

    seed_clinic_knowledge(meeting_setup.db, embedder, meeting_setup)
    model = ScriptedLLM([Reply("Invoices are due within thirty days.", 300, 9)])
    meeting = build_meeting(llm=model)
    await meeting.start()
    meeting.participant_joined(meeting_setup.professional)
    meeting.participant_joined(meeting_setup.client)

    await meeting.on_transcript(
        Transcript(
            meeting_setup.professional,
            "TR_mic",
            "SG_1",
            "Assistant, when are invoices due?",
            0,
            2,
            "en",
            None,
            0,
        )
    )
    await meeting.settle()

    [sent] = meeting_setup.gateway.on(CHAT_TOPIC)
    assert sent.destination_identities == [meeting_setup.professional.identity]
    assert "billing-policy.pdf (p. 2)" in sent.text
    [answered] = events(meeting_setup.db, meeting_setup.room.id, AgentEventName.QUESTION_ANSWERED)
    assert answered.data["metadata"]["channel"] == "speech"


async def test_llm_failure_is_an_agent_error_and_the_next_question_is_answered(
    meeting_setup, build_meeting, embedder
):
    seed_clinic_knowledge(meeting_setup.db, embedder, meeting_setup)
    model = ScriptedLLM([llm_failure(), Reply("Payment by card or bank transfer.", 200, 8)])
    meeting = build_meeting(llm=model)
    await meeting.start()
    meeting.participant_joined(meeting_setup.client)

    await meeting.on_chat_message(meeting_setup.client.identity, "How can I pay my invoice?", addressed=True)
    await meeting.settle()
    await meeting.on_chat_message(meeting_setup.client.identity, "How can I pay my invoice?", addressed=True)
    await meeting.settle()

    [apology, answer] = meeting_setup.gateway.on(CHAT_TOPIC)
    assert "cannot answer right now" in apology.text
    assert answer.text.startswith("Payment by card")
    assert apology.destination_identities == answer.destination_identities == [meeting_setup.client.identity]
    [error] = events(meeting_setup.db, meeting_setup.room.id, AgentEventName.AGENT_ERROR)
    assert error.data["metadata"]["stage"] == "llm"
    assert error.data["participant_id"] == meeting_setup.client.participant_id
    assert len(events(meeting_setup.db, meeting_setup.room.id, AgentEventName.QUESTION_ANSWERED)) == 1
    assert meeting.usage.tokens_input == 200 and meeting.usage.tokens_output == 8


async def test_retrieval_failure_is_an_agent_error_and_the_answer_still_comes(meeting_setup, build_meeting):
    class BrokenKnowledge:
        async def search(self, query, *, k):
            raise RuntimeError("vector index unavailable")

    model = ScriptedLLM([Reply("I have no document about that.", 100, 7)])
    meeting = build_meeting(llm=model, knowledge=BrokenKnowledge())
    await meeting.start()
    meeting.participant_joined(meeting_setup.client)

    await meeting.on_chat_message(
        meeting_setup.client.identity, "What is the parking policy?", addressed=True
    )
    await meeting.settle()

    assert "none matched" in model.requests[0][1]
    [error] = events(meeting_setup.db, meeting_setup.room.id, AgentEventName.AGENT_ERROR)
    assert error.data["metadata"]["stage"] == "retrieval"
    [sent] = meeting_setup.gateway.on(CHAT_TOPIC)
    assert sent.text == "I have no document about that."


async def test_messages_from_unknown_participants_are_ignored(meeting_setup, build_meeting):
    model = ScriptedLLM([])
    meeting = build_meeting(llm=model)
    await meeting.start()

    await meeting.on_chat_message("egress-recorder", "hello assistant")
    await meeting.settle()

    assert model.requests == []
    assert meeting_setup.gateway.sent == []


def transcript(human, text):
    from agent_container.meeting_agent.transcription import Transcript

    return Transcript(human, "TR_mic", "SG_x", text, 0.0, 1.0, "en", None, 0.0)


async def test_people_talking_with_each_other_are_never_answered(meeting_setup, build_meeting):
    model = ScriptedLLM([])
    meeting = build_meeting(llm=model)
    await meeting.start()
    meeting.participant_joined(meeting_setup.professional)
    meeting.participant_joined(meeting_setup.client)

    for text in ("Did you bring the test results?", "I will ask the assistant later.", "assistants are busy"):
        await meeting.on_chat_message(meeting_setup.client.identity, text)
    for text in ("The assistant told me last week it was fine.", "My assistant booked this slot."):
        await meeting.on_transcript(transcript(meeting_setup.professional, text))
    await meeting.settle()

    assert model.requests == []
    assert meeting_setup.gateway.on(CHAT_TOPIC) == []


async def test_a_chat_message_addressing_the_assistant_is_answered_without_the_address(
    meeting_setup, build_meeting, embedder
):
    seed_clinic_knowledge(meeting_setup.db, embedder, meeting_setup)
    model = ScriptedLLM([Reply("Card or bank transfer.", 100, 5), Reply("Thirty days.", 100, 3)])
    meeting = build_meeting(llm=model)
    await meeting.start()
    meeting.participant_joined(meeting_setup.client)

    await meeting.on_chat_message(meeting_setup.client.identity, "@Assistant how can I pay my invoice?")
    await meeting.settle()
    await meeting.on_chat_message(meeting_setup.client.identity, "When are invoices due?", addressed=True)
    await meeting.settle()

    answered = events(meeting_setup.db, meeting_setup.room.id, AgentEventName.QUESTION_ANSWERED)
    assert [a.data["metadata"]["question"] for a in answered] == [
        "how can I pay my invoice?",
        "When are invoices due?",
    ]


async def test_an_address_alone_waits_only_so_long_for_its_question(meeting_setup, build_meeting):
    model = ScriptedLLM([])
    meeting = build_meeting(llm=model, question_join_seconds=0.05)
    await meeting.start()
    meeting.participant_joined(meeting_setup.professional)

    await meeting.on_transcript(transcript(meeting_setup.professional, "Assistant."))
    await asyncio.sleep(0.1)
    await meeting.on_transcript(transcript(meeting_setup.professional, "Let us look at your chart."))
    await meeting.settle()

    assert model.requests == []
