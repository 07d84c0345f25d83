"""Questions through the real livekit-agents machinery: the `MeetingAssistant` in a text-only
`AgentSession` (no STT, TTS, VAD or room), a scripted LLM, the real database, the real MiniLM
embeddings and the real `search_knowledge`."""

from livekit import rtc
from livekit.agents import AgentSession, mock_tools
from livekit.agents.metrics import LLMModelUsage
from livekit.agents.testing import fake_job_context
from sqlalchemy import select

from agent_container.meeting_agent.assistant import (
    SEARCH_TOOL,
    MeetingAssistant,
    QuestionTurn,
    question_message,
)
from agent_container.meeting_agent.worker import serve
from meetings.meeting_protocol import CHAT_TOPIC, agent_dispatch_metadata
from meetings.secretary.agent_usage.models import AgentUsage
from meetings.secretary.events.models import AgentEventName, AgentSessionEvent
from tests.agent.conftest import TEST_CONFIG
from tests.agent.fakes import CallTool, CodedSpeechSTT, Reply, ScriptedLLM, llm_failure
from tests.agent.knowledge_fixtures import (
    BILLING,
    STENT_MEDICATION,
    WALKING_DEPARTMENT,
    seed_clinic_knowledge,
)

STENT_QUESTION = "Can I stop taking clopidogrel after my stent?"
STENT_ANSWER = "Keep taking clopidogrel for twelve months [post-stent-care.pdf, page 3]."


def llm_tokens(session: AgentSession) -> tuple[int, int]:
    """Input and output tokens in the session's own usage summary (`session.usage`)."""
    usages = [u for u in session.usage.model_usage if isinstance(u, LLMModelUsage)]
    return sum(u.input_tokens for u in usages), sum(u.output_tokens for u in usages)


def events(db, room_id, name=None):
    query = select(AgentSessionEvent).where(AgentSessionEvent.room_id == room_id)
    if name is not None:
        query = query.where(AgentSessionEvent.event_name == name.value)
    return db.scalars(query.order_by(AgentSessionEvent.id)).all()


async def test_the_assistant_agent_searches_with_the_question_and_answers_from_the_excerpts(
    meeting_setup, build_meeting, embedder
):
    """The Agent on its own in an AgentSession: one turn, checked with RunResult.expect."""
    seed_clinic_knowledge(meeting_setup.db, embedder, meeting_setup)
    model = ScriptedLLM([Reply(STENT_ANSWER, 900, 40)])
    meeting = build_meeting(llm=model)
    await meeting.start()
    assistant = MeetingAssistant(meeting)
    turn = QuestionTurn(asker=meeting_setup.client, question=STENT_QUESTION)

    async with AgentSession(llm=model, vad=None) as session:
        await session.start(assistant)
        await assistant.begin(turn)
        result = await session.run(user_input=question_message(meeting_setup.client, STENT_QUESTION))
        assistant.end()

        result.expect.next_event().is_function_call(name=SEARCH_TOOL, arguments={"query": STENT_QUESTION})
        output = result.expect.next_event().is_function_call_output(is_error=False).event().item.output
        assert "post-stent-care.pdf, page 3" in output and STENT_MEDICATION in output
        message = result.expect.next_event().is_message(role="assistant").event().item
        assert message.text_content.strip() == STENT_ANSWER
        result.expect.no_more_events()
        assert llm_tokens(session) == (900, 40)

    [(system, context)] = model.requests  # the search is the agent's own step: one LLM request per question
    assert system == meeting.instructions
    assert "Question from Bruno (client)" in context and STENT_MEDICATION in context
    assert (turn.passages[0].document_name, turn.passages[0].page) == ("post-stent-care.pdf", 3)


async def test_a_chat_question_goes_through_the_session_and_is_recorded(
    meeting_setup, build_meeting, embedder
):
    seed_clinic_knowledge(meeting_setup.db, embedder, meeting_setup)
    model = ScriptedLLM([Reply(STENT_ANSWER, 900, 40)])
    meeting = build_meeting(llm=model)
    registration = await meeting.start()
    meeting.participant_joined(meeting_setup.professional)
    meeting.participant_joined(meeting_setup.client)

    await meeting.on_chat_message(meeting_setup.client.identity, STENT_QUESTION, addressed=True)
    await meeting.settle()

    run = meeting.answerer.last_run
    run.expect.contains_function_call(name=SEARCH_TOOL, arguments={"query": STENT_QUESTION})
    run.expect.contains_message(role="assistant")
    [sent] = meeting_setup.gateway.on(CHAT_TOPIC)
    assert sent.destination_identities == [meeting_setup.client.identity]
    assert sent.text.startswith(f"{STENT_ANSWER}\n\nSources: post-stent-care.pdf (p. 3); ")

    retrieved, answered = events(meeting_setup.db, meeting_setup.room.id)[1:]  # after AGENT_JOINED
    assert retrieved.event_name == AgentEventName.CONTEXT_RETRIEVED
    assert set(retrieved.data) == {"participant_id", "content", "metadata"}
    assert retrieved.data["participant_id"] == meeting_setup.client.participant_id
    assert retrieved.data["content"] == STENT_QUESTION
    chunks = retrieved.data["metadata"]["chunks"]
    assert (chunks[0]["document_name"], chunks[0]["page"]) == ("post-stent-care.pdf", 3)
    assert chunks[0]["score"] == max(c["score"] for c in chunks) and all(0 < c["score"] <= 1 for c in chunks)
    assert retrieved.data["metadata"]["purpose"] == "question"

    assert answered.event_name == AgentEventName.QUESTION_ANSWERED
    assert set(answered.data) == {"participant_id", "content", "metadata"}
    assert answered.data["participant_id"] == meeting_setup.client.participant_id
    assert answered.data["content"] == STENT_ANSWER
    metadata = answered.data["metadata"]
    assert metadata["sources"][0] == {"document_name": "post-stent-care.pdf", "page": 3}
    assert (metadata["question"], metadata["channel"]) == (STENT_QUESTION, "chat")
    assert (metadata["tokens_input"], metadata["tokens_output"]) == (900, 40)

    await meeting.close("room ended")
    usage = meeting_setup.db.get(AgentUsage, registration.usage_id)
    meeting_setup.db.refresh(usage)
    assert (usage.data["total_tokens_input"], usage.data["total_tokens_output"]) == (900, 40)
    assert (usage.data["interactions_count"], usage.data["kb_queries_count"]) == (1, 1)
    assert meeting.answerer.session is None, "the session ends with the meeting"


async def test_one_session_per_room_and_every_question_starts_afresh(meeting_setup, build_meeting, embedder):
    seed_clinic_knowledge(meeting_setup.db, embedder, meeting_setup)
    model = ScriptedLLM([Reply(STENT_ANSWER, 900, 40), Reply("Invoices are due within thirty days.", 300, 9)])
    meeting = build_meeting(llm=model)
    await meeting.start()
    meeting.participant_joined(meeting_setup.professional)
    meeting.participant_joined(meeting_setup.client)

    await meeting.on_chat_message(meeting_setup.client.identity, STENT_QUESTION, addressed=True)
    await meeting.settle()
    session = meeting.answerer.session
    await meeting.on_chat_message(meeting_setup.professional.identity, "Assistant, when are invoices due?")
    await meeting.settle()

    assert meeting.answerer.session is session
    second_context = model.requests[1][1]
    assert BILLING in second_context
    assert STENT_QUESTION not in second_context and STENT_ANSWER not in second_context, "answers are private"
    first, second = meeting_setup.gateway.on(CHAT_TOPIC)
    assert first.destination_identities == [meeting_setup.client.identity]
    assert second.destination_identities == [meeting_setup.professional.identity]
    assert "billing-policy.pdf (p. 2)" in second.text
    answered = events(meeting_setup.db, meeting_setup.room.id, AgentEventName.QUESTION_ANSWERED)
    assert [a.data["metadata"]["tokens_input"] for a in answered] == [900, 300]
    assert (meeting.usage.tokens_input, meeting.usage.tokens_output) == (1200, 49)
    assert llm_tokens(session) == (1200, 49)


async def test_the_model_may_search_again_and_both_searches_are_cited(meeting_setup, build_meeting, embedder):
    seed_clinic_knowledge(meeting_setup.db, embedder, meeting_setup)
    model = ScriptedLLM(
        [
            CallTool(SEARCH_TOOL, {"query": "supervised walking after stent placement"}, 700, 15),
            Reply("Keep the clopidogrel and start supervised walking after a week.", 1100, 30),
        ]
    )
    meeting = build_meeting(llm=model)
    await meeting.start()
    meeting.participant_joined(meeting_setup.client)

    await meeting.on_chat_message(meeting_setup.client.identity, STENT_QUESTION, addressed=True)
    await meeting.settle()

    run = meeting.answerer.last_run
    run.expect.next_event().is_function_call(name=SEARCH_TOOL, arguments={"query": STENT_QUESTION})
    run.expect.next_event().is_function_call_output()
    run.expect.next_event().is_function_call(
        name=SEARCH_TOOL, arguments={"query": "supervised walking after stent placement"}
    )
    run.expect.next_event().is_function_call_output()
    run.expect.next_event().is_message(role="assistant")
    assert WALKING_DEPARTMENT in model.requests[1][1]
    retrieved = events(meeting_setup.db, meeting_setup.room.id, AgentEventName.CONTEXT_RETRIEVED)
    assert [r.data["content"] for r in retrieved] == [
        STENT_QUESTION,
        "supervised walking after stent placement",
    ]
    [answered] = events(meeting_setup.db, meeting_setup.room.id, AgentEventName.QUESTION_ANSWERED)
    assert {"document_name": "exercise-guide.pdf", "page": 7} in answered.data["metadata"]["sources"]
    assert (answered.data["metadata"]["tokens_input"], answered.data["metadata"]["tokens_output"]) == (
        1800,
        45,
    )
    assert meeting.usage.kb_queries == 2


async def test_a_failing_search_is_an_agent_error_and_the_asker_still_gets_a_polite_answer(
    meeting_setup, build_meeting
):
    def unavailable(query: str) -> str:
        raise RuntimeError("vector index unavailable")

    model = ScriptedLLM([Reply("I could not look that up just now; please ask your doctor.", 150, 14)])
    meeting = build_meeting(llm=model)
    await meeting.start()
    meeting.participant_joined(meeting_setup.client)

    with mock_tools(MeetingAssistant, {SEARCH_TOOL: unavailable}):
        await meeting.on_chat_message(meeting_setup.client.identity, STENT_QUESTION, addressed=True)
        await meeting.settle()

    run = meeting.answerer.last_run
    run.expect.next_event().is_function_call(name=SEARCH_TOOL, arguments={"query": STENT_QUESTION})
    run.expect.next_event().is_function_call_output(is_error=True)
    run.expect.next_event().is_message(role="assistant")
    [error] = events(meeting_setup.db, meeting_setup.room.id, AgentEventName.AGENT_ERROR)
    assert error.data["participant_id"] == meeting_setup.client.participant_id
    assert (error.data["metadata"]["stage"], error.data["metadata"]["tool"]) == ("retrieval", SEARCH_TOOL)
    [sent] = meeting_setup.gateway.on(CHAT_TOPIC)
    assert sent.text == "I could not look that up just now; please ask your doctor."
    assert sent.destination_identities == [meeting_setup.client.identity]
    [answered] = events(meeting_setup.db, meeting_setup.room.id, AgentEventName.QUESTION_ANSWERED)
    assert answered.data["metadata"]["sources"] == []
    assert (meeting.usage.tokens_input, meeting.usage.tokens_output) == (150, 14)


async def test_a_session_closed_by_repeated_llm_failures_is_replaced(meeting_setup, build_meeting, embedder):
    seed_clinic_knowledge(meeting_setup.db, embedder, meeting_setup)
    model = ScriptedLLM(
        [llm_failure() for _ in range(4)] + [Reply("Payment by card or bank transfer.", 200, 8)]
    )
    meeting = build_meeting(llm=model)
    await meeting.start()
    meeting.participant_joined(meeting_setup.client)

    for _ in range(5):
        await meeting.on_chat_message(
            meeting_setup.client.identity, "How can I pay my invoice?", addressed=True
        )
        await meeting.settle()

    sent = meeting_setup.gateway.on(CHAT_TOPIC)
    assert ["cannot answer right now" in s.text for s in sent] == [True] * 4 + [False]
    assert sent[-1].text.startswith("Payment by card") and "billing-policy.pdf (p. 2)" in sent[-1].text
    errors = events(meeting_setup.db, meeting_setup.room.id, AgentEventName.AGENT_ERROR)
    assert [e.data["metadata"]["stage"] for e in errors] == ["llm"] * 4
    assert (meeting.usage.tokens_input, meeting.usage.tokens_output) == (200, 8)


async def test_a_dispatched_job_answers_chat_questions_through_its_session(meeting_setup, store, embedder):
    """Under a fake job context, as in the worker: the session is the job's, and ends with it."""
    seed_clinic_knowledge(meeting_setup.db, embedder, meeting_setup)
    model = ScriptedLLM([Reply("Invoices are payable within thirty days.", 800, 20)])
    room = rtc.Room()
    with fake_job_context(room=room, job_metadata=agent_dispatch_metadata(meeting_setup.room.id)) as ctx:
        meeting = await serve(
            ctx,
            config=TEST_CONFIG,
            store=store,
            llm=model,
            stt=CodedSpeechSTT({}),
            embedder=embedder,
            gateway=meeting_setup.gateway,  # the room is not connected: what is sent is collected
        )
        meeting.participant_joined(meeting_setup.client)

        await meeting.on_chat_message(
            meeting_setup.client.identity, "When do I have to pay the invoice?", addressed=True
        )
        await meeting.settle()
        assert ctx._primary_agent_session is meeting.answerer.session

        for callback in ctx._shutdown_callbacks:
            await callback("room deleted")

    [sent] = meeting_setup.gateway.on(CHAT_TOPIC)
    assert sent.destination_identities == [meeting_setup.client.identity]
    names = [e.event_name for e in events(meeting_setup.db, meeting_setup.room.id)]
    assert names == [
        AgentEventName.AGENT_JOINED,
        AgentEventName.CONTEXT_RETRIEVED,
        AgentEventName.QUESTION_ANSWERED,
        AgentEventName.AGENT_LEFT,
    ]
    [answered] = events(meeting_setup.db, meeting_setup.room.id, AgentEventName.QUESTION_ANSWERED)
    assert answered.data["metadata"]["sources"][0] == {"document_name": "billing-policy.pdf", "page": 2}
    assert (answered.data["metadata"]["tokens_input"], answered.data["metadata"]["tokens_output"]) == (
        800,
        20,
    )


async def test_a_request_made_with_the_same_llm_during_a_question_is_not_counted_twice(
    meeting_setup, build_meeting
):
    """Suggestions use the LLM the session was given; their tokens stay theirs."""
    from agent_container.meeting_agent.language_model import complete

    model = ScriptedLLM(
        [Reply("A tip for the professional.", 1200, 25), Reply("Invoices are due in thirty days.", 800, 20)]
    )
    meeting = build_meeting(llm=model)
    await meeting.start()
    meeting.participant_joined(meeting_setup.client)

    async def search_while_a_suggestion_is_made(query: str) -> str:
        await complete(meeting.llm, system="tips", user="conversation", meter=meeting.usage)
        return "Knowledge-base excerpts: none matched this question."

    with mock_tools(MeetingAssistant, {SEARCH_TOOL: search_while_a_suggestion_is_made}):
        await meeting.on_chat_message(meeting_setup.client.identity, "When are invoices due?", addressed=True)
        await meeting.settle()

    [answered] = events(meeting_setup.db, meeting_setup.room.id, AgentEventName.QUESTION_ANSWERED)
    assert (answered.data["metadata"]["tokens_input"], answered.data["metadata"]["tokens_output"]) == (
        800,
        20,
    )
    assert (meeting.usage.tokens_input, meeting.usage.tokens_output) == (2000, 45)
    assert llm_tokens(meeting.answerer.session) == (2000, 45), "session.usage totals every request of its LLM"
