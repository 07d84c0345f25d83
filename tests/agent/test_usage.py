"""Usage: the scripted token counts, audio minutes and counters, priced from the configured table and
written to agent_usage.data during the session and at its end."""

import asyncio
import json

import pytest

from agent_container.meeting_agent.config import AgentConfig, load_price_table
from agent_container.meeting_agent.usage import UsageMeter
from meetings.secretary.agent_usage.models import AgentUsage
from meetings.settings import ConfigurationError
from tests.agent.fakes import AudioFeed, Reply, ScriptedLLM
from tests.agent.knowledge_fixtures import seed_clinic_knowledge

PRICES = json.dumps(
    {
        "priced-model": {"input_per_million": 1000.0, "output_per_million": 2000.0},
        "priced-stt": {"audio_per_minute": 0.5},
    }
)


async def test_usage_matches_the_scripted_token_counts_and_is_priced(meeting_setup, build_meeting, embedder):
    seed_clinic_knowledge(meeting_setup.db, embedder, meeting_setup)
    model = ScriptedLLM([Reply("Twelve months.", 1000, 60), Reply("Within thirty days.", 500, 40)])
    meeting = build_meeting(
        llm=model,
        llm_model="priced-model",
        stt_model="priced-stt",
        llm_temperature=0.2,
        price_table=load_price_table(PRICES),
        suggestion_min_new_chars=10_000,
    )
    registration = await meeting.start()
    meeting.participant_joined(meeting_setup.client, audio=(feed := AudioFeed()))
    await meeting.on_chat_message(
        meeting_setup.client.identity, "How long do I take clopidogrel?", addressed=True
    )
    await meeting.on_chat_message(meeting_setup.client.identity, "When are invoices due?", addressed=True)
    await meeting.settle()
    feed.say(0, seconds=72.0, pause=0.0)  # 1.2 minutes of silence still costs transcription
    feed.hang_up()
    await asyncio.wait_for(meeting.transcriber.finished(meeting_setup.client.identity), timeout=30)

    await meeting.close("room ended")

    usage = meeting_setup.db.get(AgentUsage, registration.usage_id)
    meeting_setup.db.refresh(usage)
    assert usage.data == {
        "total_tokens_input": 1500,
        "total_tokens_output": 100,
        "total_audio_minutes": 1.2,
        "interactions_count": 2,
        "transcription_count": 0,
        "kb_queries_count": 2,
        "suggestions_count": 0,
        "cost_estimate": pytest.approx(1.5 + 0.2 + 0.6),
        "model": "priced-model",
        "temperature": 0.2,
        "stt_model": "priced-stt",
    }


async def test_usage_is_flushed_while_the_meeting_runs(meeting_setup, build_meeting, embedder, store):
    seed_clinic_knowledge(meeting_setup.db, embedder, meeting_setup)
    meeting = build_meeting(llm=ScriptedLLM([Reply("Twelve months.", 321, 12)]), usage_flush_seconds=0.05)
    registration = await meeting.start()
    meeting.participant_joined(meeting_setup.client)
    await meeting.on_chat_message(
        meeting_setup.client.identity, "How long do I take clopidogrel?", addressed=True
    )
    await meeting.settle()

    def stored_usage(db) -> AgentUsage:
        usage = db.get(AgentUsage, registration.usage_id)
        db.refresh(usage)
        return usage

    # Read through the agent's store: the periodic flush uses the same session from its thread.
    for _ in range(500):  # the flush runs every 50 ms; wait for it, however busy the machine
        await asyncio.sleep(0.02)
        usage = await store.run(stored_usage)
        if usage.data["total_tokens_input"]:
            break
    assert usage.session_end is None
    assert (usage.data["total_tokens_input"], usage.data["total_tokens_output"]) == (321, 12)
    await meeting.close("done")


def test_unknown_models_cost_nothing_rather_than_a_guess():
    meter = UsageMeter(
        model="mystery", temperature=0.0, stt_model="mystery-stt", price_table=load_price_table(None)
    )
    meter.add_llm(prompt_tokens=10_000, completion_tokens=1_000)
    assert meter.cost_estimate() == 0.0


def test_price_table_from_a_file_overrides_the_defaults(tmp_path):
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"gpt-4.1-mini": {"input_per_million": 9.0}}))
    table = load_price_table(str(path))
    assert table["gpt-4.1-mini"]["input_per_million"] == 9.0
    assert table["gpt-4.1-mini"]["output_per_million"] > 0  # the default is kept


@pytest.mark.parametrize("raw", ["{not json", '{"m": 3}', '{"m": {"input_per_million": "cheap"}}'])
def test_a_malformed_price_table_is_refused(raw):
    with pytest.raises(ConfigurationError):
        load_price_table(raw)


def test_usage_must_be_flushed_at_least_every_minute(monkeypatch):
    monkeypatch.setenv("AGENT_USAGE_FLUSH_SECONDS", "120")
    with pytest.raises(ConfigurationError):
        AgentConfig.from_env()
    monkeypatch.setenv("AGENT_USAGE_FLUSH_SECONDS", "15")
    monkeypatch.setenv("AGENT_PRICE_TABLE", PRICES)
    monkeypatch.setenv("AGENT_WAKE_WORDS", "Assistant, Aria")
    config = AgentConfig.from_env()
    assert config.usage_flush_seconds == 15
    assert config.price_table["priced-model"]["input_per_million"] == 1000.0
    assert config.wake_words == ("assistant", "aria")
