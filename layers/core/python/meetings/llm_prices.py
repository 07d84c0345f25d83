"""Per-unit model prices in USD (tokens per million, audio per minute), for usage cost estimates."""

DEFAULT_PRICE_TABLE: dict[str, dict[str, float]] = {
    "gpt-4.1-mini": {"input_per_million": 0.40, "output_per_million": 1.60},
    "gpt-4.1": {"input_per_million": 2.00, "output_per_million": 8.00},
    "gpt-4o-mini": {"input_per_million": 0.15, "output_per_million": 0.60},
    "gpt-4o-mini-transcribe": {"audio_per_minute": 0.003},
    "gpt-4o-transcribe": {"audio_per_minute": 0.006},
    "whisper-1": {"audio_per_minute": 0.006},
}


def token_cost(model: str, *, tokens_input: int, tokens_output: int, table=DEFAULT_PRICE_TABLE) -> float:
    """USD for this many tokens of a model; 0 for a model the table does not price (a local one)."""
    prices = table.get(model, {})
    cost = tokens_input / 1_000_000 * prices.get(
        "input_per_million", 0.0
    ) + tokens_output / 1_000_000 * prices.get("output_per_million", 0.0)
    return round(cost, 6)
