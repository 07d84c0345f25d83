"""The agent's own settings (models, pacing, prices): the AGENT_* environment variables, with defaults.

Connection settings (LiveKit, database, OpenAI key and base URL, agent name) come from
`meetings.settings`; everything here is specific to the meeting agent.
"""

import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from meetings.llm_prices import DEFAULT_PRICE_TABLE
from meetings.settings import ConfigurationError

# A number in the range the North American Numbering Plan keeps for fiction (555-01XX): it passes the
# E.164 check and can never reach a real line.
DEFAULT_AGENT_PHONE_NUMBER = "+12025550100"

DEFAULT_WAKE_WORDS = ("assistant",)


def load_price_table(raw: str | None) -> dict[str, dict[str, float]]:
    """AGENT_PRICE_TABLE: inline JSON or a path to a JSON file; merged over the defaults per model."""
    table = {model: dict(prices) for model, prices in DEFAULT_PRICE_TABLE.items()}
    if not raw:
        return table
    text = raw if raw.lstrip().startswith("{") else Path(raw).expanduser().read_text()
    try:
        overrides = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"AGENT_PRICE_TABLE is not valid JSON: {exc}") from exc
    if not isinstance(overrides, dict):
        raise ConfigurationError("AGENT_PRICE_TABLE must be a JSON object of model -> prices")
    for model, prices in overrides.items():
        if not isinstance(prices, dict) or not all(isinstance(v, int | float) for v in prices.values()):
            raise ConfigurationError(f"AGENT_PRICE_TABLE[{model!r}] must map price names to numbers")
        table.setdefault(model, {}).update({k: float(v) for k, v in prices.items()})
    return table


class AgentConfig(BaseSettings):
    """What the meeting agent needs beyond the shared settings; each field is AGENT_<FIELD NAME>."""

    # An empty variable means the default, as an unset one does.
    model_config = SettingsConfigDict(env_prefix="AGENT_", frozen=True, extra="ignore", env_ignore_empty=True)

    display_name: str = "Meeting Assistant"
    phone_number: str = DEFAULT_AGENT_PHONE_NUMBER
    # Comma-separated in the environment; matched lower-case.
    wake_words: Annotated[tuple[str, ...], NoDecode] = DEFAULT_WAKE_WORDS
    llm_model: str = "gpt-4.1-mini"
    llm_temperature: float = 0.3
    stt_model: str = "gpt-4o-mini-transcribe"
    stt_language: str = "en"
    kb_results: int = 5
    # Suggestions: at most one per interval, only after enough new talk, only when the knowledge base
    # has something close enough to say.
    suggestion_interval_seconds: float = 60.0
    suggestion_min_new_chars: int = 200
    suggestion_min_score: float = 0.35
    transcript_window_chars: int = 2000
    usage_flush_seconds: float = Field(default=30.0, gt=0, le=60)
    stt_restart_limit: int = 5
    stt_restart_delay_seconds: float = 1.0
    # How long a track that ended (or a participant who left) is given to have its last words transcribed.
    stt_drain_seconds: float = Field(default=5.0, gt=0, le=30)
    # A segment that only addresses the assistant ("Assistant.") is joined with the next one this soon.
    question_join_seconds: float = Field(default=8.0, gt=0, le=60)
    # Registration at job start: attempts and the first pause (doubling, at most 10 s) between them.
    register_attempts: int = Field(default=6, ge=1, le=20)
    register_backoff_seconds: float = Field(default=0.5, ge=0, le=10)
    # The worker (see worker.build_server and docs/agent.md for how these were measured and chosen).
    num_idle_processes: int = Field(default=1, ge=0, le=8)
    # Meetings one task takes at most (its memory divided by a job process's; see infra's agent construct).
    max_jobs: int = Field(default=1, ge=1, le=64)
    initialize_process_timeout_seconds: float = Field(default=30.0, gt=0, le=120)
    shutdown_process_timeout_seconds: float = Field(default=30.0, gt=0, le=60)
    drain_timeout_seconds: int = Field(default=45, ge=1, le=3600)
    job_memory_warn_mb: float = 600
    job_memory_limit_mb: float = 1000
    # Inline JSON or a JSON file path in the environment, merged over DEFAULT_PRICE_TABLE.
    price_table: Annotated[dict[str, dict[str, float]], NoDecode] = Field(
        default_factory=lambda: load_price_table(None)
    )

    @field_validator("wake_words", mode="before")
    @classmethod
    def _split_wake_words(cls, value: Any) -> Any:
        words = value.split(",") if isinstance(value, str) else value
        if not isinstance(words, list | tuple):
            return value
        cleaned = tuple(w.strip().lower() for w in words if isinstance(w, str) and w.strip())
        return cleaned or DEFAULT_WAKE_WORDS

    @field_validator("price_table", mode="before")
    @classmethod
    def _load_price_table(cls, value: Any) -> Any:
        return load_price_table(value) if value is None or isinstance(value, str) else value

    @classmethod
    def from_env(cls) -> "AgentConfig":
        """Reads the AGENT_* environment variables; a bad value is a ConfigurationError."""
        try:
            return cls()
        except ValueError as exc:
            raise ConfigurationError(f"invalid agent configuration: {exc}") from exc
