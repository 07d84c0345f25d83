"""Runtime settings, read from the environment and validated once at start-up."""

import json
import os
from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    }
)
MIN_JWT_SECRET_LENGTH = 32


class ConfigurationError(RuntimeError):
    """The process cannot run with the configuration it was given."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    log_level: str = "INFO"

    # PostgreSQL. `make run` and the tests start an embedded server and set it.
    database_url: SecretStr | None = None
    # On AWS: the RDS secret (host, port, username, password, dbname); `database_host` overrides its
    # host, e.g. with the RDS Proxy endpoint.
    database_secret_arn: str | None = None
    database_host: str | None = None

    # A JSON secret in Secrets Manager whose keys (JWT_SECRET, LIVEKIT_API_SECRET, ...) fill the
    # settings of the same names; Lambdas and the agent read their secrets this way.
    app_secret_arn: str | None = None

    livekit_url: str = "ws://127.0.0.1:7880"
    livekit_api_key: str = "devkey"
    livekit_api_secret: SecretStr = SecretStr("secret")
    agent_name: str = "meeting-assistant"

    embedding_model: str = "all-MiniLM-L6-v2"
    embedding_dim: int = Field(default=384, ge=1, le=16000)

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

    @model_validator(mode="after")
    def _refuse_placeholders_outside_development(self) -> "Settings":
        if self.environment != "production":
            return self
        problems = []
        if self.database_url is None and self.database_secret_arn is None:
            problems.append("DATABASE_URL or DATABASE_SECRET_ARN is required")
        for name in ("jwt_secret", "livekit_api_secret", "openai_api_key"):
            if getattr(self, name).get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
                problems.append(f"{name.upper()} is a placeholder")
        if self.livekit_api_key in PLACEHOLDER_SECRETS:
            problems.append("LIVEKIT_API_KEY is a placeholder")
        if self.webhooks_allow_loopback:
            problems.append("WEBHOOKS_ALLOW_LOOPBACK is for development and tests only")
        if len(self.jwt_secret.get_secret_value()) < MIN_JWT_SECRET_LENGTH:
            problems.append(f"JWT_SECRET must be at least {MIN_JWT_SECRET_LENGTH} characters")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _secret_overrides(secret_arn: str) -> dict[str, str]:
    """Reads a JSON secret of settings from Secrets Manager (names as environment variables)."""
    from aws_lambda_powertools.utilities.parameters import get_secret

    values = json.loads(get_secret(secret_arn, max_age=300))
    return {key.lower(): value for key, value in values.items()}


@lru_cache
def get_settings() -> Settings:
    """Returns the process settings, validated once."""
    try:
        secret_arn = os.environ.get("APP_SECRET_ARN")
        overrides = _secret_overrides(secret_arn) if secret_arn else {}
        return Settings(**overrides)
    except ValueError as exc:
        raise ConfigurationError(f"invalid configuration: {exc}") from exc
