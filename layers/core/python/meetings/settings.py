"""Runtime settings, read from the environment and validated once at start-up."""

import json
import os
from functools import lru_cache
from typing import Annotated, Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Values that ship as development defaults and must never reach production.
PLACEHOLDER_SECRETS = frozenset(
    {
        "",
        "changeme",
        "change-me",
        "secret",
        "devkey",
        "dev-jwt-secret-not-for-production-use",
        "sk-local-placeholder",
        "password",
        "placeholder",
        "test",
        "todo",
        "xxx",
    }
)
MIN_JWT_SECRET_LENGTH = 32
MIN_LIVEKIT_SECRET_LENGTH = 32
# A secret of 32 characters drawn from fewer distinct ones is a pattern ("aaaa...", "abab..."), not a key.
MIN_DISTINCT_SECRET_CHARACTERS = 10
# Set by the platforms this code is deployed on (Lambda, ECS); never on a laptop or in CI.
DEPLOYED_MARKERS = ("AWS_LAMBDA_FUNCTION_NAME", "ECS_CONTAINER_METADATA_URI_V4", "ECS_CONTAINER_METADATA_URI")
RDS_CA_BUNDLE = "/opt/certs/rds-global-bundle.pem"  # shipped in the layer and the images
# PostgreSQL's built-in text search configurations of a language (EMBEDDING_LANGUAGES names them).
TEXT_SEARCH_LANGUAGES = frozenset(
    "arabic armenian basque catalan danish dutch english finnish french german greek hindi hungarian "
    "indonesian irish italian lithuanian nepali norwegian portuguese romanian russian serbian spanish "
    "swedish tamil turkish yiddish".split()
)

# The secrets each deployed component uses, and so validates; a component receives no other.
COMPONENT_SECRETS = {
    "manager_api": ("jwt_secret",),
    "secretary_api": ("jwt_secret", "livekit_api_key", "livekit_api_secret"),
    "kb_search": ("jwt_secret",),
    "livekit_webhook": ("livekit_api_key", "livekit_api_secret"),
    "recording_finalizer": (),
    "retention_purge": (),
    "kb_ingest": (),
    "webhook_sweep": (),
    "webhook_dispatcher": (),
    "note_drafter": ("openai_api_key",),
    "agent": ("livekit_api_key", "livekit_api_secret", "openai_api_key"),
    "migrate": (),
}
ALL_SECRETS = ("jwt_secret", "livekit_api_key", "livekit_api_secret", "openai_api_key")


class ConfigurationError(RuntimeError):
    """The process cannot run with the configuration it was given."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    # What this process needs: everything, or only the database (the migrate function, which runs on
    # the first deploy before the operator has filled the application secret).
    settings_scope: Literal["all", "database"] = "all"
    log_level: str = "INFO"

    # PostgreSQL. `make run` and the tests start an embedded server and set it.
    database_url: SecretStr | None = None
    # On AWS: the RDS secret (host, port, username, password, dbname); `database_host` overrides its
    # host, e.g. with the RDS Proxy endpoint.
    database_secret_arn: str | None = None
    database_host: str | None = None
    # On AWS the services log in to RDS Proxy as their own role with an IAM token (no password), over
    # TLS that verifies the server against the RDS CA bundle.
    database_user: str | None = None
    database_iam_auth: bool = False
    database_port: int = 5432
    database_name: str = "meetings"
    database_sslrootcert: str = RDS_CA_BUNDLE
    # A knowledge search that opens its transaction sends BEGIN, the scope and the search in one
    # pipeline (meetings.db_scope.fetch_rows): one round trip instead of two. False sends them as two.
    database_pipeline_first_search: bool = True
    # A Lambda container serves one request at a time: a small pool. A process that serves many at once
    # (a benchmark of concurrent requests) sizes it to its concurrency.
    db_pool_size: int = Field(default=2, ge=1, le=50)
    db_max_overflow: int = Field(default=3, ge=0, le=100)
    # A pooled connection idle this long is pinged before use (0: before every use); see meetings.db.
    db_ping_after_idle_seconds: float = Field(default=30.0, ge=0, le=3600)
    # Which deployed component this process is (COMPONENT_SECRETS); unset, every secret is checked.
    component: Literal[tuple(COMPONENT_SECRETS)] | None = None

    # A JSON secret in Secrets Manager whose keys (JWT_SECRET, LIVEKIT_API_SECRET, ...) fill the
    # settings of the same names; Lambdas and the agent read their secrets this way.
    app_secret_arn: str | None = None

    livekit_url: str = "ws://127.0.0.1:7880"
    livekit_api_key: str = "devkey"
    livekit_api_secret: SecretStr = SecretStr("secret")
    agent_name: str = "meeting-assistant"

    embedding_model: str = "all-MiniLM-L6-v2"
    embedding_dim: int = Field(default=384, ge=1, le=16000)
    # Instructions the model was trained with, put before a question and before a chunk ("query: " and
    # "passage: " for the E5 models); none for the sentence-transformers models.
    embedding_query_prompt: str = Field(default="", max_length=200)
    embedding_passage_prompt: str = Field(default="", max_length=200)
    # The languages the model ranks well, comma-separated text search configurations: on chunks in
    # another recognised language, the vector ranking weighs less in a hybrid search.
    embedding_languages: Annotated[frozenset[str], NoDecode] = frozenset({"english"})

    jwt_secret: SecretStr = SecretStr("dev-jwt-secret-not-for-production-use")
    jwt_ttl_seconds: int = Field(default=900, ge=60, le=86400)
    bcrypt_rounds: int = Field(default=10, ge=10, le=15)

    recordings_bucket: str = "meetings-recordings"
    # How the LiveKit egress worker writes into the recordings bucket: a role it assumes (LiveKit
    # Cloud), keys of an upload-only user, or neither (a self-hosted worker with its own role).
    egress_s3_assume_role_arn: str | None = None
    egress_s3_assume_role_external_id: str | None = None
    egress_s3_access_key: str | None = None
    egress_s3_secret: SecretStr | None = None
    egress_s3_endpoint: str | None = None  # the S3 endpoint as the egress worker sees it
    purge_batch_size: int = Field(default=1000, ge=1, le=1000)  # DeleteObjects takes 1,000 keys at most
    kb_bucket: str = "meetings-knowledge-base"
    s3_endpoint_url: str | None = None
    aws_region: str = Field(default="us-east-1", validation_alias="AWS_REGION")

    openai_api_key: SecretStr = SecretStr("sk-local-placeholder")
    openai_base_url: str | None = None

    # Where magic links point: the public origin that serves /join/{token}.
    public_base_url: str = "http://127.0.0.1:8000"

    # Outgoing webhooks may target loopback addresses (a receiver on this machine): development and
    # tests only. Private, link-local and metadata addresses are refused whatever this says.
    webhooks_allow_loopback: bool = False
    # On AWS: the SQS queue the webhook sweep fills and the webhook dispatcher drains.
    webhook_queue_url: str | None = None

    # Visit notes: the model that drafts them (any OpenAI-compatible server at OPENAI_BASE_URL), and on
    # AWS the SQS queue that feeds the drafting job.
    note_model: str = "gpt-4.1-mini"
    note_temperature: float = Field(default=0.2, ge=0.0, le=2.0)
    # Three tries must fit the drafter Lambda's three minutes.
    note_llm_timeout_seconds: float = Field(default=50.0, gt=0, le=600)
    note_queue_url: str | None = None

    @field_validator("embedding_languages", mode="before")
    @classmethod
    def _known_languages(cls, value: object) -> object:
        names = value.split(",") if isinstance(value, str) else value
        if not isinstance(names, list | tuple | set | frozenset):
            return value  # pydantic refuses it as not a set of strings
        languages = {str(name).strip().lower() for name in names if str(name).strip()}
        if not languages:
            raise ValueError("name at least one language the model ranks well (english for an English model)")
        unknown = sorted(languages - TEXT_SEARCH_LANGUAGES)
        if unknown:
            raise ValueError(f"not text search languages of PostgreSQL: {', '.join(unknown)}")
        return languages

    @model_validator(mode="after")
    def _refuse_placeholders_outside_development(self) -> "Settings":
        if self.environment != "production":
            return self
        problems = _database_problems(self)
        if self.settings_scope == "all":
            used = ALL_SECRETS if self.component is None else COMPONENT_SECRETS[self.component]
            problems += _secret_problems(self, used) + _url_problems(self)
        if self.webhooks_allow_loopback:
            problems.append("WEBHOOKS_ALLOW_LOOPBACK is for development and tests only")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _is_placeholder(value: str) -> bool:
    return value.strip().lower() in PLACEHOLDER_SECRETS


def _is_weak(value: str, min_length: int) -> bool:
    value = value.strip()
    return len(value) < min_length or len(set(value)) < MIN_DISTINCT_SECRET_CHARACTERS


def _secret_problems(settings: Settings, used: tuple[str, ...] = ALL_SECRETS) -> list[str]:
    """The secrets this component uses (COMPONENT_SECRETS) that are placeholders or weak."""
    problems = []
    secrets = {
        "jwt_secret": MIN_JWT_SECRET_LENGTH,
        "livekit_api_secret": MIN_LIVEKIT_SECRET_LENGTH,
        "openai_api_key": None,
    }
    for name, min_length in secrets.items():
        if name not in used:
            continue
        value = getattr(settings, name).get_secret_value()
        if _is_placeholder(value):
            problems.append(f"{name.upper()} is a placeholder")
        elif min_length is not None and _is_weak(value, min_length):
            problems.append(
                f"{name.upper()} is weak: use at least {min_length} random characters"
                f" (at least {MIN_DISTINCT_SECRET_CHARACTERS} distinct)"
            )
    if "livekit_api_key" in used and _is_placeholder(settings.livekit_api_key):
        problems.append("LIVEKIT_API_KEY is a placeholder")
    return problems


def _url_problems(settings: Settings) -> list[str]:
    problems = []
    urls = {
        "PUBLIC_BASE_URL": (settings.public_base_url, ("https",)),
        "LIVEKIT_URL": (settings.livekit_url, ("wss", "https")),
        "OPENAI_BASE_URL": (settings.openai_base_url, ("https",)),
        "S3_ENDPOINT_URL": (settings.s3_endpoint_url, ("https",)),
        "EGRESS_S3_ENDPOINT": (settings.egress_s3_endpoint, ("https",)),
    }
    for name, (url, schemes) in urls.items():
        if url is not None and urlsplit(url.strip()).scheme.lower() not in schemes:
            problems.append(f"{name} must use {' or '.join(f'{scheme}://' for scheme in schemes)}")
    return problems


def _database_problems(settings: Settings) -> list[str]:
    if settings.database_url is None:
        if settings.database_secret_arn is None and not settings.database_iam_auth:
            return ["DATABASE_URL or DATABASE_SECRET_ARN is required (or DATABASE_IAM_AUTH)"]
        problems = []
        if settings.database_iam_auth and not (settings.database_host and settings.database_user):
            problems.append("DATABASE_IAM_AUTH needs DATABASE_HOST and DATABASE_USER")
        if not os.path.isfile(settings.database_sslrootcert):
            problems.append(
                f"DATABASE_SSLROOTCERT {settings.database_sslrootcert} is missing (the RDS CA bundle)"
            )
        return problems
    query = parse_qs(urlsplit(settings.database_url.get_secret_value().strip()).query)
    if query.get("sslmode", [""])[-1].lower() != "verify-full":
        return ["DATABASE_URL must verify the server's certificate (sslmode=verify-full)"]
    return []


def _deployed() -> bool:
    return any(os.environ.get(marker) for marker in DEPLOYED_MARKERS)


def _describe(exc: ValidationError) -> str:
    """The errors without the values that caused them: a value may be a secret."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False, include_context=False):
        field = ".".join(str(part) for part in error.get("loc", ()))
        message = error.get("msg", "invalid").removeprefix("Value error, ")
        parts.append(f"{field}: {message}" if field else message)
    return "; ".join(parts)


def _secret_overrides(secret_arn: str) -> dict[str, str]:
    """Reads a JSON secret of settings from Secrets Manager (names as environment variables)."""
    from aws_lambda_powertools.utilities.parameters import get_secret

    values = json.loads(get_secret(secret_arn, max_age=300))
    return {key.lower(): value for key, value in values.items()}


def _all_secret_overrides(secret_arns: str) -> dict[str, str]:
    """APP_SECRET_ARN may name several secrets, comma-separated: each component gets only its own."""
    overrides = {}
    for arn in filter(None, (part.strip() for part in secret_arns.split(","))):
        overrides.update(_secret_overrides(arn))
    return overrides


@lru_cache
def get_settings() -> Settings:
    """Returns the process settings, validated once."""
    secret_arn = os.environ.get("APP_SECRET_ARN")
    overrides = _all_secret_overrides(secret_arn) if secret_arn else {}
    try:
        settings, problem = Settings(**overrides), None
    except ValidationError as exc:
        settings, problem = None, _describe(exc)
    if problem is not None:  # raised outside the handler: no chained error repeats the values
        raise ConfigurationError(f"invalid configuration: {problem}")
    if _deployed() and "environment" not in settings.model_fields_set:
        raise ConfigurationError("invalid configuration: ENVIRONMENT must be set where the code is deployed")
    return settings
