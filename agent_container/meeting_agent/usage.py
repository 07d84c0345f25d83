"""Usage accounting for one agent session, priced from the configured table and written to
`agent_usage.data` during the session and at its end."""

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from meetings.log import failure, logger
from meetings.secretary.agent_usage.service import record_agent_usage

from .store import Store


@dataclass
class UsageMeter:
    """Counters of what the agent consumed in one room."""

    model: str
    temperature: float
    stt_model: str
    price_table: dict[str, dict[str, float]]
    tokens_input: int = 0
    tokens_output: int = 0
    audio_seconds: float = 0.0
    interactions: int = 0
    transcriptions: int = 0
    kb_queries: int = 0
    suggestions: int = 0

    def add_llm(self, *, prompt_tokens: int, completion_tokens: int) -> None:
        self.tokens_input += prompt_tokens
        self.tokens_output += completion_tokens

    def add_audio(self, seconds: float) -> None:
        self.audio_seconds += seconds

    def cost_estimate(self) -> float:
        """USD, from the price table: tokens per million for the LLM, minutes for the STT."""
        llm_prices = self.price_table.get(self.model, {})
        stt_prices = self.price_table.get(self.stt_model, {})
        cost = (
            self.tokens_input / 1_000_000 * llm_prices.get("input_per_million", 0.0)
            + self.tokens_output / 1_000_000 * llm_prices.get("output_per_million", 0.0)
            + self.audio_seconds / 60 * stt_prices.get("audio_per_minute", 0.0)
        )
        return round(cost, 6)

    def as_data(self) -> dict[str, Any]:
        """The spec's `agent_usage.data` document."""
        return {
            "total_tokens_input": self.tokens_input,
            "total_tokens_output": self.tokens_output,
            "total_audio_minutes": round(self.audio_seconds / 60, 4),
            "interactions_count": self.interactions,
            "transcription_count": self.transcriptions,
            "kb_queries_count": self.kb_queries,
            "suggestions_count": self.suggestions,
            "cost_estimate": self.cost_estimate(),
            "model": self.model,
            "temperature": self.temperature,
            "stt_model": self.stt_model,
        }


@dataclass
class UsageRecorder:
    """Writes the meter to its `agent_usage` row periodically and once more at the end."""

    store: Store
    usage_id: int
    meter: UsageMeter
    flush_seconds: float = 30.0
    _task: asyncio.Task | None = field(default=None, init=False)

    async def write(self, *, session_end: datetime | None = None) -> None:
        """Stores the current counters (and the end of the session, when given)."""
        data = self.meter.as_data()

        await self.store.run(
            lambda db: record_agent_usage(db=db, usage_id=self.usage_id, data=data, session_end=session_end)
        )

    def start(self) -> None:
        self._task = asyncio.create_task(self._flush_periodically(), name="agent-usage-flush")

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.flush_seconds)
            try:
                await self.write()
            except Exception as exc:
                logger.warning("agent usage not written; retrying at the next flush", extra=failure(exc))

    async def finish(self) -> None:
        """Stops the periodic flush and writes the final counters with `session_end`."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.write(session_end=datetime.now(UTC))
