"""Database engine, sessions and the declarative base shared by every domain."""

import time
from datetime import datetime
from functools import lru_cache

from sqlalchemy import DateTime, Engine, FetchedValue, MetaData, create_engine, func, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from meetings.settings import ConfigurationError, Settings, get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def created_at_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


def updated_at_column() -> Mapped[datetime]:
    """`updated_at`, kept current by the update_updated_at_column() trigger."""
    return mapped_column(
        DateTime(timezone=True),
        nullable=False,
        server_default=func.now(),
        server_onupdate=FetchedValue(),
    )


def sqlalchemy_url(url: str) -> str:
    """Accepts a plain `postgresql://` URL and selects the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _url_from_rds_secret(settings: Settings) -> str:
    import json
    from urllib.parse import quote

    from aws_lambda_powertools.utilities.parameters import get_secret

    from meetings.db_aws import tls_query

    secret = json.loads(get_secret(settings.database_secret_arn, max_age=300))
    host = settings.database_host or secret["host"]
    return (
        f"postgresql+psycopg://{quote(secret['username'])}:{quote(secret['password'])}"
        f"@{host}:{secret.get('port', 5432)}/{secret.get('dbname', 'meetings')}?{tls_query(settings)}"
    )


def resolve_database_url(settings: Settings) -> str:
    """The configured database: DATABASE_URL or, on AWS, the proxy with an IAM token or the RDS secret
    (`make run` sets DATABASE_URL)."""
    if settings.database_url is not None:
        return sqlalchemy_url(settings.database_url.get_secret_value())
    if settings.database_iam_auth:
        from meetings.db_aws import iam_database_url

        return iam_database_url(settings)
    if settings.database_secret_arn:
        return _url_from_rds_secret(settings)
    raise ConfigurationError(
        "no database configured: set DATABASE_URL (or DATABASE_SECRET_ARN on AWS); "
        "`make run` starts an embedded one and sets it"
    )


def proxy_safe_connect_args() -> dict:
    """Nothing that pins an RDS Proxy connection: psycopg never prepares statements server-side (it
    would after five executions); settings are only ever set transaction-locally (meetings.db_scope)."""
    return {"prepare_threshold": None}


def _refuse_powerful_role_on_first_connect(engine: Engine) -> None:
    from sqlalchemy import event

    from meetings.db_roles import ROLE_POWERS_SQL, refuse_powerful_roles

    @event.listens_for(engine, "first_connect")
    def check(dbapi_connection, connection_record) -> None:
        with dbapi_connection.cursor() as cursor:
            rows = cursor.execute(ROLE_POWERS_SQL).fetchall()
        dbapi_connection.rollback()
        refuse_powerful_roles(rows)


@lru_cache
def get_engine() -> Engine:
    """The process-wide engine (one small pool per Lambda container); refuses a superuser or owner."""
    settings = get_settings()
    engine = create_engine(
        resolve_database_url(settings),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        hide_parameters=True,
        connect_args=proxy_safe_connect_args(),
    )
    serve_as_a_service_role(engine, settings)
    ping_after_idle(engine, settings.db_ping_after_idle_seconds)
    return engine


def ping_after_idle(engine: Engine, idle_seconds: float) -> None:
    """Checks a pooled connection before handing it out only when it has been idle `idle_seconds`.

    `pool_pre_ping` would ping before every request: one more round trip each time, for a failure that
    comes after idleness (a frozen Lambda container, the proxy's idle time-out, a failover). A connection
    that fails its ping is replaced before the request sees it; one that breaks within the window fails
    its request, and the pool replaces it for the next one."""
    from sqlalchemy import event, exc

    # Both clocks: whether a frozen Lambda container's monotonic clock runs on is not documented, and
    # the wall clock can be set back. Either one saying "idle long enough" is enough to ping.
    @event.listens_for(engine, "checkin")
    def remember_idle_since(dbapi_connection, connection_record) -> None:
        connection_record.info["idle_since"] = (time.monotonic(), time.time())

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection, connection_record, connection_proxy) -> None:
        idle_since = connection_record.info.pop("idle_since", None)
        if idle_since is None:
            return  # a new connection
        idle = max(time.monotonic() - idle_since[0], time.time() - idle_since[1])
        if idle < idle_seconds:
            return  # used moments ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool retries the checkout on a new connection
            raise exc.DisconnectionError("the pooled connection did not answer its ping") from error


def serve_as_a_service_role(engine: Engine, settings: Settings) -> None:
    """Refuses a superuser or owner on the first connection and, on AWS (DATABASE_IAM_AUTH), signs an
    IAM token as the component's role for every new connection: the proxy's URL carries no password."""
    _refuse_powerful_role_on_first_connect(engine)
    if settings.database_iam_auth and settings.database_url is None:
        from meetings.db_aws import use_iam_tokens

        use_iam_tokens(engine, settings)


@lru_cache
def session_factory() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False, autoflush=True)


def verify_schema(engine: Engine, settings: Settings) -> None:
    """Refuses to run when the database's embedding column does not have the configured dimension."""
    with engine.connect() as connection:
        dimension = connection.execute(
            text(
                "SELECT atttypmod FROM pg_attribute "
                "WHERE attrelid = to_regclass('knowledge_base') AND attname = 'embedding'"
            )
        ).scalar()
    if dimension is None:
        raise ConfigurationError("the database is not migrated: run `alembic upgrade head`")
    if dimension != settings.embedding_dim:
        raise ConfigurationError(
            f"EMBEDDING_DIM is {settings.embedding_dim} but knowledge_base.embedding is "
            f"vector({dimension}); configure the model the database was built for"
        )


@lru_cache
def _verified_engine() -> Engine:
    engine = get_engine()
    verify_schema(engine, get_settings())
    return engine


def open_session() -> Session:
    """A session on the process-wide engine, once the schema has been checked against the settings."""
    _verified_engine()
    return session_factory()()
