"""Short tips for the professional, drawn from the running transcript and the knowledge base, sent
only to PROFESSIONAL participants and never more often than the configured interval."""

import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from meetings.meeting_protocol import SUGGESTIONS_TOPIC
from meetings.secretary.events.models import AgentEventName

from .knowledge import distinct_sources, format_excerpts
from .language_model import complete

if TYPE_CHECKING:
    from .meeting import MeetingAgent

NO_SUGGESTION = "NONE"
SUGGESTION_REQUEST = (
    "Recent conversation:\n{transcript}\n\n{excerpts}\n\n"
    "Give the professional ONE short, practical tip (at most two sentences) grounded in the excerpts "
    f"and relevant to the conversation. If nothing in the excerpts helps, reply exactly {NO_SUGGESTION}."
)
MAX_CITED_SOURCES = 2


def suggestion_payload(text: str, sources: list[dict]) -> str:
    """The JSON a professional's client receives on the suggestions topic."""
    return json.dumps({"text": text, "sources": sources})


@dataclass
class SuggestionAdvisor:
    """Watches the transcript and, now and then, tells the professionals something useful."""

    meeting: "MeetingAgent"
    clock: Callable[[], float] = time.monotonic
    lines: deque[str] = field(default_factory=lambda: deque(maxlen=200))
    new_chars: int = 0
    last_suggested_at: float | None = None
    busy: bool = False

    def hear(self, speaker: str, text: str) -> bool:
        """Adds a line; True when it is time to try a suggestion."""
        self.lines.append(f"{speaker}: {text}")
        self.new_chars += len(text)
        return self.due()

    def due(self) -> bool:
        config = self.meeting.config
        if self.busy or self.new_chars < config.suggestion_min_new_chars:
            return False
        return (
            self.last_suggested_at is None
            or self.clock() - self.last_suggested_at >= config.suggestion_interval_seconds
        )

    def recent_transcript(self) -> str:
        window = self.meeting.config.transcript_window_chars
        text = "\n".join(self.lines)
        return text[-window:]

    async def suggest(self) -> str | None:
        """Tries one suggestion; returns the text sent to the professionals, if any."""
        meeting = self.meeting
        professionals = meeting.professionals()
        if not professionals or self.busy:
            return None
        self.busy = True
        self.last_suggested_at = self.clock()
        self.new_chars = 0
        try:
            transcript = self.recent_transcript()
            query = transcript[-600:]
            passages = await meeting.retrieve(query, participant_id=None, purpose="suggestion")
            relevant = [p for p in passages if p.score >= meeting.config.suggestion_min_score]
            if not relevant:
                await meeting.events.flush()
                return None
            try:
                completion = await complete(
                    meeting.llm,
                    system=meeting.instructions,
                    user=SUGGESTION_REQUEST.format(transcript=transcript, excerpts=format_excerpts(relevant)),
                    meter=meeting.usage,
                    conn_options=meeting.llm_conn_options,
                )
            except Exception as exc:
                await meeting.events.error("llm", exc, purpose="suggestion")
                return None
            text = completion.text.strip()
            recipients = meeting.professionals()
            if not text or text.upper().startswith(NO_SUGGESTION) or not recipients:
                await meeting.events.flush()
                return None
            sources = distinct_sources(relevant)[:MAX_CITED_SOURCES]
            await meeting.gateway.send_text(
                suggestion_payload(text, sources),
                topic=SUGGESTIONS_TOPIC,
                destination_identities=[p.identity for p in recipients],
            )
            meeting.usage.suggestions += 1
            await meeting.events.record(
                AgentEventName.SUGGESTION_PROVIDED,
                content=text,
                metadata={
                    "recipients": [p.participant_id for p in recipients],
                    "sources": sources,
                    "scores": [round(p.score, 4) for p in relevant],
                    "tokens_input": completion.prompt_tokens,
                    "tokens_output": completion.completion_tokens,
                },
            )
            return text
        finally:
            self.busy = False
