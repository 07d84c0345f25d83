"""Questions put to the assistant (in the chat, or aloud by name): answered from the knowledge base by
the `MeetingAssistant` in a text-only `AgentSession`, to the asker only, with the documents and pages
used.

One session per room, started at the first question and closed with the meeting. An `AgentSession`
runs one turn at a time (`run()` refuses nested runs), so questions are answered one after another;
each starts on a fresh conversation (see `MeetingAssistant.begin`). A turn that fails (the LLM
raised, or ended the turn without an answer) is an `AGENT_ERROR`, the asker is told the assistant
cannot answer right now, and the session is replaced at the next question: the failure may be
closing it. Tokens are those the LLM reported for the turn's requests (see `MeetingAssistant`).
"""

import asyncio
import json
import re
from dataclasses import dataclass, field

from livekit.agents import AgentSession
from livekit.agents.voice.agent_session import SessionConnectOptions
from livekit.agents.voice.run_result import ChatMessageEvent, FunctionCallOutputEvent, RunResult

from meetings.meeting_protocol import CHAT_TOPIC
from meetings.secretary.events.models import AgentEventName

from .assistant import MAX_TOOL_STEPS, MeetingAssistant, QuestionTurn, question_message
from .knowledge import distinct_sources
from .room_gateway import Human
from .services import MeetingServices

MAX_CITED_SOURCES = 3
UNAVAILABLE_ANSWER = "Sorry, I cannot answer right now. Please try again in a moment."


class ToolFailure(Exception):
    """A tool call of the assistant that ended in an error output."""


class NoAnswer(Exception):
    """A question turn that ended without an answer from the model."""


def address_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """Text that begins by addressing the assistant ("Assistant, ...", "Hey assistant ...",
    "@Assistant ..."); the question is what follows."""
    names = "|".join(re.escape(w) for w in words)
    return re.compile(
        rf"^\W*(?:(?:hey|hi|hello|ok|okay)[\s,]+)?@?(?:{names})\b[\s,.:;!?-]*(?P<question>.*)$",
        re.IGNORECASE | re.DOTALL,
    )


def addressed_question(pattern: re.Pattern[str], text: str) -> str | None:
    """The question in text addressed to the assistant ("" when it is only the address), or None when the
    text is not addressed to it (people talking to each other, the assistant named in passing)."""
    match = pattern.match(text.strip())
    return match.group("question").strip() if match else None


def answer_message(answer: str, sources: list[dict]) -> str:
    """What the asker reads: the answer, then its sources."""
    if not sources:
        return answer
    cited = "; ".join(
        f"{s['document_name']} (p. {s['page']})" if s["page"] is not None else s["document_name"]
        for s in sources
    )
    return f"{answer}\n\nSources: {cited}"


def reply_text(result: RunResult) -> str:
    """The assistant's last message of a run."""
    messages = [
        e.item for e in result.events if isinstance(e, ChatMessageEvent) and e.item.role == "assistant"
    ]
    return (messages[-1].text_content or "").strip() if messages else ""


@dataclass
class QuestionAnswerer:
    """The room's assistant session: a question in, an answer to the asker alone."""

    services: MeetingServices
    session: AgentSession | None = None
    assistant: MeetingAssistant | None = None
    last_run: RunResult | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def _ready_session(self) -> AgentSession:
        if self.session is not None:
            return self.session
        services = self.services
        assistant = MeetingAssistant(services)
        session = AgentSession(
            llm=services.llm,
            vad=None,
            max_tool_steps=MAX_TOOL_STEPS,
            turn_handling={"turn_detection": None, "interruption": {"enabled": False}},
            user_away_timeout=None,
            conn_options=SessionConnectOptions(llm_conn_options=services.llm_conn_options),
        )

        def on_close(_event) -> None:
            if self.session is session:
                self.session = None

        session.on("close", on_close)
        await session.start(assistant, record=False)
        self.session, self.assistant = session, assistant
        return session

    async def aclose(self) -> None:
        async with self._lock:
            if self.session is not None:
                await self.session.aclose()
                self.session = None

    async def answer(self, asker: Human, question: str, *, channel: str) -> str | None:
        """Answers one question; returns the text sent, or None when nothing could be said."""
        services = self.services
        services.usage.interactions += 1
        async with self._lock:
            session = await self._ready_session()
            assistant = self.assistant
            turn = QuestionTurn(asker=asker, question=question)
            await assistant.begin(turn)
            model_errors: list[BaseException] = []

            def on_error(event) -> None:
                model_errors.append(getattr(event.error, "error", None) or event.error)

            session.on("error", on_error)
            result: RunResult | None = None
            failure: BaseException | None = None
            try:
                result = self.last_run = session.run(user_input=question_message(asker, question))
                await result
            except Exception as exc:
                failure = exc
            finally:
                session.off("error", on_error)
                assistant.end()
            text = reply_text(result) if failure is None else ""
            if failure is None and not text:
                # a model failure can also end the turn without an answer (the session then closes)
                failure = model_errors[-1] if model_errors else NoAnswer("the language model gave no answer")
            if failure is not None:
                # the next question gets a fresh session rather than one the failure may be closing
                self.session = None
                await session.aclose()
        prompt_tokens, completion_tokens = turn.prompt_tokens, turn.completion_tokens
        services.usage.add_llm(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
        if failure is not None:
            await services.events.error(
                "llm", failure, participant_id=asker.participant_id, purpose="question"
            )
            await services.say_to(asker, UNAVAILABLE_ANSWER, topic=CHAT_TOPIC)
            return None
        await self._record_tool_failures(result, asker)
        sources = distinct_sources(turn.passages)[:MAX_CITED_SOURCES]
        message = answer_message(text, sources)
        await services.say_to(
            asker, message, topic=CHAT_TOPIC, attributes={"meetings.sources": json.dumps(sources)}
        )
        await services.events.record(
            AgentEventName.QUESTION_ANSWERED,
            participant_id=asker.participant_id,
            content=text,
            metadata={
                "question": question,
                "channel": channel,
                "sources": sources,
                "tokens_input": prompt_tokens,
                "tokens_output": completion_tokens,
            },
        )
        return message

    async def _record_tool_failures(self, result: RunResult, asker: Human) -> None:
        """A tool that raised (the model was told it failed) is an AGENT_ERROR of stage `retrieval`."""
        for event in result.events:
            if isinstance(event, FunctionCallOutputEvent) and event.item.is_error:
                await self.services.events.error(
                    "retrieval",
                    ToolFailure(f"{event.item.name}: {event.item.output}"),
                    participant_id=asker.participant_id,
                    purpose="question",
                    tool=event.item.name,
                )
