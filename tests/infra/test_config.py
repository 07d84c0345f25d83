"""Stage selection and overrides from the CDK context."""

import json

import pytest
from aws_cdk import App

from infra.config import load_stage_config
from tests.infra.conftest import REPO_ROOT

CONTEXT = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]


def _config(**overrides):
    return load_stage_config(App(context={**CONTEXT, **overrides}).node)


def test_dev_is_the_default_stage():
    config = _config()
    assert config.stage == "dev" and not config.is_production


def test_prod_turns_on_the_protections():
    config = _config(stage="prod")
    assert config.db_multi_az and config.db_deletion_protection and config.nat_gateways == 2


def test_unknown_stage_is_refused():
    with pytest.raises(ValueError, match="unknown stage 'qa'"):
        _config(stage="qa")


def test_command_line_overrides_cors_and_livekit():
    config = _config(corsAllowOrigins="https://a.example, https://b.example", livekitUrl="wss://lk.example")
    assert config.cors_allow_origins == ("https://a.example", "https://b.example")
    assert config.livekit_url == "wss://lk.example"


def test_the_note_model_defaults_and_is_overridden_from_the_command_line():
    assert _config().note_model == "gpt-4.1-mini" and _config().openai_base_url is None
    config = _config(noteModel="llama-3.3-70b", openaiBaseUrl="https://llm.example.org/v1")
    assert (config.note_model, config.openai_base_url) == ("llama-3.3-70b", "https://llm.example.org/v1")


def test_a_plain_http_model_server_is_refused_at_synth():
    with pytest.raises(ValueError, match="openaiBaseUrl must be an https:// URL"):
        _config(openaiBaseUrl="http://llm.internal:8000/v1")
