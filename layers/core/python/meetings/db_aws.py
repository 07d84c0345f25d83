"""Connecting to RDS: TLS that verifies the server (verify-full, the RDS CA bundle) and, through RDS
Proxy, a login as the component's own role with a short-lived IAM token instead of a password."""

from urllib.parse import quote

from sqlalchemy import Engine, event

from meetings.settings import Settings


def tls_query(settings: Settings) -> str:
    return f"sslmode=verify-full&sslrootcert={quote(settings.database_sslrootcert)}"


def iam_database_url(settings: Settings) -> str:
    """The proxy's URL for the component's role, without a password (each connection gets a token)."""
    return (
        f"postgresql+psycopg://{quote(settings.database_user)}@{settings.database_host}:"
        f"{settings.database_port}/{settings.database_name}?{tls_query(settings)}"
    )


def use_iam_tokens(engine: Engine, settings: Settings) -> None:
    """Signs a fresh IAM authentication token (valid 15 minutes) for every new connection."""
    import boto3

    client = boto3.client("rds", region_name=settings.aws_region)

    @event.listens_for(engine, "do_connect")
    def with_token(dialect, connection_record, cargs, cparams) -> None:
        cparams["password"] = client.generate_db_auth_token(
            DBHostname=settings.database_host,
            Port=settings.database_port,
            DBUsername=settings.database_user,
            Region=settings.aws_region,
        )
