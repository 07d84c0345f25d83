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

    credentials = boto3.Session().get_credentials()

    @event.listens_for(engine, "do_connect")
    def with_token(dialect, connection_record, cargs, cparams) -> None:
        cparams["password"] = rds_auth_token(
            credentials,
            host=settings.database_host,
            port=settings.database_port,
            user=settings.database_user,
            region=settings.aws_region,
        )


def rds_auth_token(credentials, *, host: str, port: int, user: str, region: str) -> str:
    """The token `generate_db_auth_token` of an RDS client makes (botocore's SigV4 presigned `connect`
    request for `rds-db`, without its scheme), signed with botocore's signer directly: creating an RDS
    client parses the RDS service model, some 15-20 ms of the first connection after every cold start
    (bench/bench_cold_start.py)."""
    from botocore.auth import SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.exceptions import NoCredentialsError

    if credentials is None:
        raise NoCredentialsError
    request = AWSRequest(
        method="GET", url=f"https://{host}:{port}/", data={"Action": "connect", "DBUser": user}
    )
    # frozen, as botocore's signer does: a refreshing set (a task role) cannot change halfway through
    SigV4QueryAuth(credentials.get_frozen_credentials(), "rds-db", region, expires=900).add_auth(request)
    return request.prepare().url.removeprefix("https://")
