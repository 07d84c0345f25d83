"""Settings: validated at start-up, placeholders refused in production, secrets hidden."""

import pytest
from pydantic import ValidationError

from meetings.db import sqlalchemy_url
from meetings.settings import ALL_SECRETS, ConfigurationError, Settings, get_settings

STRONG = "Zq8vN2xLr4Tk9pWm3HcY7bJd5FgS6aQe1uVo"
PRODUCTION = {
    "environment": "production",
    "database_url": "postgresql://app:pw@db.internal:5432/meetings?sslmode=verify-full",
    "jwt_secret": STRONG,
    "livekit_api_key": "APIkey123",
    "livekit_api_secret": STRONG,
    "openai_api_key": "sk-real-key-value",
    "livekit_url": "wss://meet.example.com",
    "public_base_url": "https://meet.example.com",
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
        ({"jwt_secret": "  DEVKEY "}, "JWT_SECRET is a placeholder"),
        ({"livekit_api_key": " DevKey"}, "LIVEKIT_API_KEY is a placeholder"),
        ({"livekit_api_secret": "Secret "}, "LIVEKIT_API_SECRET is a placeholder"),
        ({"openai_api_key": "SK-LOCAL-PLACEHOLDER"}, "OPENAI_API_KEY is a placeholder"),
        ({"jwt_secret": "a" * 64}, "JWT_SECRET is weak"),
        ({"jwt_secret": "ab" * 32}, "JWT_SECRET is weak"),
        ({"livekit_api_secret": "short-livekit-secret"}, "LIVEKIT_API_SECRET is weak"),
        ({"public_base_url": "http://meet.example.com"}, "PUBLIC_BASE_URL must use https://"),
        ({"public_base_url": "HTTP://meet.example.com"}, "PUBLIC_BASE_URL must use https://"),
        ({"livekit_url": "ws://meet.example.com"}, "LIVEKIT_URL must use wss:// or https://"),
        ({"openai_base_url": "http://llm.internal/v1"}, "OPENAI_BASE_URL must use https://"),
        ({"database_url": "postgresql://app:pw@db/m"}, "sslmode=verify-full"),
        ({"database_url": "postgresql://app:pw@db/m?sslmode=disable"}, "sslmode=verify-full"),
        ({"database_url": "postgresql://app:pw@db/m?sslmode=require"}, "sslmode=verify-full"),
    ],
)
def test_production_refuses_placeholders(override, problem):
    with pytest.raises(ValidationError, match=problem):
        Settings(**{**PRODUCTION, **override})


def test_the_database_scope_checks_only_the_database():
    settings = Settings(
        environment="production",
        settings_scope="database",
        database_url=None,
        database_secret_arn="arn:aws:secretsmanager:x",
        database_sslrootcert=__file__,  # the RDS CA bundle must be there
    )
    assert settings.jwt_secret.get_secret_value() == "dev-jwt-secret-not-for-production-use"
    with pytest.raises(ValidationError, match="sslmode=verify-full"):
        Settings(environment="production", settings_scope="database", database_url="postgresql://h/d")


@pytest.fixture
def environment(monkeypatch):
    """The process environment for get_settings(), without the test run's ENVIRONMENT."""
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


@pytest.mark.parametrize("marker", ["AWS_LAMBDA_FUNCTION_NAME", "ECS_CONTAINER_METADATA_URI_V4"])
def test_a_deployed_process_must_name_its_environment(environment, marker):
    environment.setenv(marker, "meetings-manager-api")
    with pytest.raises(ConfigurationError, match="ENVIRONMENT must be set"):
        get_settings()
    environment.setenv("ENVIRONMENT", "development")
    assert get_settings().environment == "development"


def test_a_laptop_may_leave_the_environment_unset(environment):
    assert get_settings().environment == "development"


def test_the_start_up_error_never_echoes_a_value(environment):
    almost_secret = "sk-live-0123456789abcdef-TAIL-OF-A-REAL-KEY"
    environment.setenv("ENVIRONMENT", "production")
    environment.setenv("OPENAI_API_KEY", almost_secret)
    environment.setenv("JWT_SECRET", "tail-of-a-short-jwt-secret")
    environment.setenv("DATABASE_URL", "postgresql://app:hunter2-db-password@db/m?sslmode=disable")
    environment.setenv("BCRYPT_ROUNDS", "99")
    with pytest.raises(ConfigurationError) as raised:
        get_settings()
    rendered = str(raised.value) + repr(raised.value.__cause__) + repr(raised.value.__context__)
    assert "bcrypt_rounds" in rendered
    for secret in (almost_secret, "TAIL", "tail-of-a-short", "hunter2", "99"):
        assert secret not in rendered
    assert raised.value.__context__ is None


def test_the_guard_lists_every_problem_without_values(environment):
    environment.setenv("ENVIRONMENT", "production")
    environment.setenv("JWT_SECRET", "tail-of-a-short-jwt-secret")
    with pytest.raises(ConfigurationError) as raised:
        get_settings()
    message = str(raised.value)
    assert "JWT_SECRET is weak" in message and "DATABASE_URL or DATABASE_SECRET_ARN is required" in message
    assert "PUBLIC_BASE_URL must use https://" in message
    assert "tail-of-a-short" not in message


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


def test_the_models_languages_are_a_comma_separated_list_of_text_search_languages(monkeypatch):
    monkeypatch.setenv("EMBEDDING_LANGUAGES", " English, portuguese ,")
    assert Settings().embedding_languages == {"english", "portuguese"}
    monkeypatch.setenv("EMBEDDING_LANGUAGES", "english,portugese")
    with pytest.raises(ValidationError, match="not text search languages of PostgreSQL: portugese"):
        Settings()


@pytest.mark.parametrize(
    ("value", "problem"),
    [("", "at least one language"), (" , ", "at least one language"), (["english", "klingon"], "klingon")],
)
def test_the_models_languages_refuse_an_empty_or_unknown_value(value, problem):
    with pytest.raises(ValidationError, match=problem):
        Settings(embedding_languages=value)


def test_the_models_languages_given_as_a_list_are_normalised_like_the_environments():
    assert Settings(embedding_languages=["English ", "SPANISH"]).embedding_languages == {"english", "spanish"}


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


def test_each_component_validates_only_the_secrets_it_receives():
    agent = {**PRODUCTION, "component": "agent", "jwt_secret": "dev-jwt-secret-not-for-production-use"}
    assert Settings(**agent).component == "agent"  # the agent never gets JWT_SECRET
    with pytest.raises(ValidationError, match="OPENAI_API_KEY is a placeholder"):
        Settings(**{**agent, "openai_api_key": "sk-local-placeholder"})
    job = {name: value for name, value in PRODUCTION.items() if name not in ALL_SECRETS}
    assert Settings(**job, component="retention_purge").component == "retention_purge"  # no secret at all
    with pytest.raises(ValidationError, match="component"):
        Settings(**PRODUCTION, component="no_such_function")


def test_iam_authentication_needs_the_proxy_a_role_and_the_ca_bundle(tmp_path):
    iam = {**PRODUCTION, "database_url": None, "database_iam_auth": True}
    with pytest.raises(ValidationError, match="needs DATABASE_HOST and DATABASE_USER"):
        Settings(**iam, database_sslrootcert=__file__)
    with pytest.raises(ValidationError, match="RDS CA bundle"):
        Settings(
            **iam,
            database_host="proxy",
            database_user="meetings_app",
            database_sslrootcert=str(tmp_path / "x"),
        )
    assert Settings(**iam, database_host="proxy", database_user="meetings_app", database_sslrootcert=__file__)
