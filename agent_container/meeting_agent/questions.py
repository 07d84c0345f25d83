"""Questions put to the assistant (in the chat, or aloud by name): answered from the knowledge base,
to the asker only, with the documents and pages used."""

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from meetings.meeting_protocol import CHAT_TOPIC
from meetings.secretary.events.models import AgentEventName

from .knowledge import Passage, distinct_sources
from .language_model import complete
from .room_gateway import Human

if TYPE_CHECKING:
    from .meeting import MeetingAgent

MAX_CITED_SOURCES = 3
UNAVAILABLE_ANSWER = "Sorry, I cannot answer right now. Please try again in a moment."


def wake_word_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)


def format_excerpts(passages: list[Passage]) -> str:
    if not passages:
        return "Knowledge-base excerpts: none matched this question."
    lines = ["Knowledge-base excerpts (cite as [document, page]):"]
    for number, passage in enumerate(passages, start=1):
        page = f"page {passage.page}" if passage.page is not None else "no page"
        lines.append(f"[{number}] {passage.document_name}, {page}:\n{passage.text}")
    return "\n\n".join(lines)


def question_prompt(asker: Human, question: str, passages: list[Passage]) -> str:
    return f"{format_excerpts(passages)}\n\nQuestion from {asker.name or 'a participant'} ({asker.type.value.lower()}):\n{question}"


def answer_message(answer: str, sources: list[dict]) -> str:
    """What the asker reads: the answer, then its sources."""
    if not sources:
        return answer
    cited = "; ".join(f"{s['document_name']} (p. {s['page']})" if s["page"] is not None else s["document_name"] for s in sources)
    return f"{answer}\n\nSources: {cited}"


@dataclass
class QuestionAnswerer:
    """Retrieval, then an answer sent to the asker alone."""

    meeting: "MeetingAgent"

    async def answer(self, asker: Human, question: str, *, channel: str) -> str | None:
        """Answers one question; returns the text sent, or None when nothing could be said."""
        meeting = self.meeting
        meeting.usage.interactions += 1
        passages = await meeting.retrieve(question, participant_id=asker.participant_id, purpose="question")
        try:
            completion = await complete(
                meeting.llm,
                system=meeting.instructions,
                user=question_prompt(asker, question, passages),
                meter=meeting.usage,
                conn_options=meeting.llm_conn_options,
            )
        except Exception as exc:
            await meeting.events.error("llm", exc, participant_id=asker.participant_id, purpose="question")
            await meeting.say_to(asker, UNAVAILABLE_ANSWER, topic=CHAT_TOPIC)
            return None
        sources = distinct_sources(passages)[:MAX_CITED_SOURCES]
        message = answer_message(completion.text, sources)
        await meeting.say_to(asker, message, topic=CHAT_TOPIC, attributes={"meetings.sources": json.dumps(sources)})
        await meeting.events.record(
            AgentEventName.QUESTION_ANSWERED,
            participant_id=asker.participant_id,
            content=completion.text,
            metadata={
                "question": question,
                "channel": channel,
                "sources": sources,
                "tokens_input": completion.prompt_tokens,
                "tokens_output": completion.completion_tokens,
            },
        )
        return message
