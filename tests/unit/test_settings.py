"""Settings: validated at start-up, placeholders refused in production, secrets hidden."""

import pytest
from pydantic import ValidationError

from meetings.db import sqlalchemy_url
from meetings.settings import ConfigurationError, Settings, get_settings

STRONG = "x" * 40
PRODUCTION = {
    "environment": "production",
    "database_url": "postgresql://app:pw@db.internal:5432/meetings",
    "jwt_secret": STRONG,
    "livekit_api_key": "APIkey123",
    "livekit_api_secret": STRONG,
    "openai_api_key": "sk-real-key-value",
}


def test_production_settings_with_real_secrets_are_accepted():
    assert Settings(**PRODUCTION).environment == "production"


@pytest.mark.parametrize(
    "override, problem",
    [
        ({"jwt_secret": "dev-jwt-secret-not-for-production-use"}, "JWT_SECRET is a placeholder"),
        ({"jwt_secret": "short-but-not-placeholder"}, "at least 32"),
        ({"livekit_api_secret": "secret"}, "LIVEKIT_API_SECRET is a placeholder"),
        ({"livekit_api_key": "devkey"}, "LIVEKIT_API_KEY is a placeholder"),
        ({"openai_api_key": "sk-local-placeholder"}, "OPENAI_API_KEY is a placeholder"),
        ({"database_url": None}, "DATABASE_URL or DATABASE_SECRET_ARN is required"),
        ({"webhooks_allow_loopback": True}, "WEBHOOKS_ALLOW_LOOPBACK is for development and tests only"),
    ],
)
def test_production_refuses_placeholders(override, problem):
    with pytest.raises(ValidationError, match=problem):
        Settings(**{**PRODUCTION, **override})


def test_development_accepts_the_placeholders():
    assert Settings(environment="development").livekit_api_key == "devkey"


def test_secrets_never_appear_in_repr_or_dump():
    settings = Settings(**PRODUCTION)
    rendered = repr(settings) + str(settings.model_dump())
    for secret in (STRONG, "sk-real-key-value", "pw@db.internal"):
        assert secret not in rendered


def test_settings_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("EMBEDDING_DIM", "768")
    monkeypatch.setenv("LIVEKIT_URL", "wss://meet.example.com")
    settings = Settings()
    assert settings.embedding_dim == 768 and settings.livekit_url == "wss://meet.example.com"


def test_invalid_environment_value_is_a_configuration_error(monkeypatch):
    monkeypatch.setenv("BCRYPT_ROUNDS", "4")
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigurationError, match="bcrypt_rounds"):
            get_settings()
    finally:
        monkeypatch.delenv("BCRYPT_ROUNDS")
        get_settings.cache_clear()


@pytest.mark.parametrize(
    "url, expected",
    [
        ("postgresql://u:p@h:5432/d", "postgresql+psycopg://u:p@h:5432/d"),
        ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
    ],
)
def test_plain_postgresql_urls_select_psycopg(url, expected):
    assert sqlalchemy_url(url) == expected
