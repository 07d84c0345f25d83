"""The agent's own settings (models, pacing, prices), read from the environment with defaults.

Connection settings (LiveKit, database, OpenAI key and base URL, agent name) come from
`meetings.settings`; everything here is specific to the meeting agent.
"""

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from meetings.settings import ConfigurationError

# Per-unit prices in USD: tokens per million, audio per minute. Overridden by AGENT_PRICE_TABLE.
DEFAULT_PRICE_TABLE: dict[str, dict[str, float]] = {
    "gpt-4.1-mini": {"input_per_million": 0.40, "output_per_million": 1.60},
    "gpt-4.1": {"input_per_million": 2.00, "output_per_million": 8.00},
    "gpt-4o-mini": {"input_per_million": 0.15, "output_per_million": 0.60},
    "gpt-4o-mini-transcribe": {"audio_per_minute": 0.003},
    "gpt-4o-transcribe": {"audio_per_minute": 0.006},
    "whisper-1": {"audio_per_minute": 0.006},
}

# A number in the range the North American Numbering Plan keeps for fiction (555-01XX): it passes the
# E.164 check and can never reach a real line.
DEFAULT_AGENT_PHONE_NUMBER = "+12025550100"


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a number, got {raw!r}") from exc


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


@dataclass(frozen=True)
class AgentConfig:
    """What the meeting agent needs beyond the shared settings."""

    display_name: str = "Meeting Assistant"
    phone_number: str = DEFAULT_AGENT_PHONE_NUMBER
    wake_words: tuple[str, ...] = ("assistant",)
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
    usage_flush_seconds: float = 30.0
    stt_restart_limit: int = 5
    stt_restart_delay_seconds: float = 1.0
    price_table: dict[str, dict[str, float]] = field(default_factory=lambda: load_price_table(None))

    @classmethod
    def from_env(cls) -> "AgentConfig":
        """Reads the AGENT_* environment variables."""
        flush = _env_float("AGENT_USAGE_FLUSH_SECONDS", 30.0)
        if not 0 < flush <= 60:
            raise ConfigurationError("AGENT_USAGE_FLUSH_SECONDS must be in (0, 60]")
        wake_words = tuple(w.strip().lower() for w in _env("AGENT_WAKE_WORDS", "assistant").split(",") if w.strip())
        return cls(
            display_name=_env("AGENT_DISPLAY_NAME", "Meeting Assistant"),
            phone_number=_env("AGENT_PHONE_NUMBER", DEFAULT_AGENT_PHONE_NUMBER),
            wake_words=wake_words or ("assistant",),
            llm_model=_env("AGENT_LLM_MODEL", "gpt-4.1-mini"),
            llm_temperature=_env_float("AGENT_LLM_TEMPERATURE", 0.3),
            stt_model=_env("AGENT_STT_MODEL", "gpt-4o-mini-transcribe"),
            stt_language=_env("AGENT_STT_LANGUAGE", "en"),
            kb_results=int(_env_float("AGENT_KB_RESULTS", 5)),
            suggestion_interval_seconds=_env_float("AGENT_SUGGESTION_INTERVAL_SECONDS", 60.0),
            suggestion_min_new_chars=int(_env_float("AGENT_SUGGESTION_MIN_NEW_CHARS", 200)),
            suggestion_min_score=_env_float("AGENT_SUGGESTION_MIN_SCORE", 0.35),
            usage_flush_seconds=flush,
            price_table=load_price_table(os.environ.get("AGENT_PRICE_TABLE")),
        )
