"""Short tips for the professional, drawn from the running transcript and the knowledge base, sent
only to PROFESSIONAL participants and never more often than the configured interval."""

import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from meetings.meeting_protocol import SUGGESTIONS_TOPIC
from meetings.secretary.events.models import AgentEventName

from .config import AgentConfig
from .knowledge import distinct_sources, format_excerpts
from .language_model import complete
from .room_gateway import Human
from .services import MeetingServices

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

    services: MeetingServices
    config: AgentConfig
    professionals: Callable[[], list[Human]]
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
        config = self.config
        if self.busy or self.new_chars < config.suggestion_min_new_chars:
            return False
        return (
            self.last_suggested_at is None
            or self.clock() - self.last_suggested_at >= config.suggestion_interval_seconds
        )

    def recent_transcript(self) -> str:
        window = self.config.transcript_window_chars
        text = "\n".join(self.lines)
        return text[-window:]

    async def suggest(self) -> str | None:
        """Tries one suggestion; returns the text sent to the professionals, if any."""
        services = self.services
        professionals = self.professionals()
        if not professionals or self.busy:
            return None
        self.busy = True
        self.last_suggested_at = self.clock()
        self.new_chars = 0
        try:
            transcript = self.recent_transcript()
            query = transcript[-600:]
            passages = await services.retrieve(query, participant_id=None, purpose="suggestion")
            relevant = [p for p in passages if p.score >= self.config.suggestion_min_score]
            if not relevant:
                await services.events.flush()
                return None
            try:
                completion = await complete(
                    services.llm,
                    system=services.instructions,
                    user=SUGGESTION_REQUEST.format(transcript=transcript, excerpts=format_excerpts(relevant)),
                    meter=services.usage,
                    conn_options=services.llm_conn_options,
                )
            except Exception as exc:
                await services.events.error("llm", exc, purpose="suggestion")
                return None
            text = completion.text.strip()
            recipients = self.professionals()
            if not text or text.upper().startswith(NO_SUGGESTION) or not recipients:
                await services.events.flush()
                return None
            sources = distinct_sources(relevant)[:MAX_CITED_SOURCES]
            await services.room.send_text(
                suggestion_payload(text, sources),
                topic=SUGGESTIONS_TOPIC,
                destination_identities=[p.identity for p in recipients],
            )
            services.usage.suggestions += 1
            await services.events.record(
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
