"""One real PostgreSQL (embedded, with pgvector) per test run, migrated to head by its owner; the tests
then connect as the application role, as the services do, so the suite proves its grants and policies
suffice. Every test runs inside a transaction that is rolled back, and route commits become savepoint
releases."""

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator

import pytest

os.environ.setdefault("ENVIRONMENT", "test")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

# Shared fixtures, registered once for every test directory.
pytest_plugins = ["tests.support.fixtures", "tests.recordings.support", "tests.notifications.fixtures"]

TEST_DATABASE = "meetings_test"


def _start_test_database() -> str | None:
    """Starts the embedded test database unless DATABASE_URL names one; returns its data directory.

    This runs when the root conftest is imported, before any other conftest or test module can read
    (and cache) the settings, so nothing ever falls back to the development database in .data/.
    """
    if os.environ.get("DATABASE_URL"):
        return None
    from devserver.embedded_db import start_embedded_database

    data_dir = tempfile.mkdtemp(prefix="meetings-test-")
    os.environ["DATABASE_URL"] = start_embedded_database(data_dir, TEST_DATABASE)
    return data_dir


_TEST_DATA_DIR = _start_test_database()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _TEST_DATA_DIR:
        from devserver.embedded_db import start_embedded_database

        for server in start_embedded_database.servers:
            server.cleanup()
        shutil.rmtree(_TEST_DATA_DIR, ignore_errors=True)


_OWNER_URL = os.environ["DATABASE_URL"]


@pytest.fixture(scope="session")
def database_url() -> str:
    """The owner's (migrator's) URL: migrations and checks of the roles themselves."""
    from meetings.db import sqlalchemy_url

    return sqlalchemy_url(_OWNER_URL)


@pytest.fixture(scope="session")
def app_database_url(database_url: str) -> str:
    """The schema migrated by its owner, then a login for the application role, which the settings
    (and so every engine the code builds) use from here on."""
    from sqlalchemy import create_engine, pool, text

    from meetings.db import get_engine, session_factory
    from meetings.db_roles import AGENT_ROLE, APP_ROLE, JOBS_ROLE, local_login_url
    from meetings.migrate import upgrade_to_head
    from meetings.settings import get_settings
    from tests.support.roles import HARNESS_ROLE

    upgrade_to_head(database_url)
    owner = create_engine(database_url, poolclass=pool.NullPool)
    with owner.begin() as connection:
        # Tests of the agent and the jobs switch to those roles (tests/support/roles.py), and a few
        # fixtures to a harness role that may write every table; the application role inherits none.
        connection.execute(
            text(
                f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{HARNESS_ROLE}') "
                f"THEN CREATE ROLE {HARNESS_ROLE} NOLOGIN; END IF; END $$"
            )
        )
        connection.execute(
            text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {HARNESS_ROLE}")
        )
        connection.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {HARNESS_ROLE}"))
        connection.execute(
            text(
                f"GRANT {AGENT_ROLE}, {JOBS_ROLE}, {HARNESS_ROLE} TO {APP_ROLE} WITH INHERIT FALSE, SET TRUE"
            )
        )
    owner.dispose()
    url = local_login_url(database_url, APP_ROLE, _TEST_DATA_DIR or tempfile.mkdtemp(prefix="meetings-test-"))
    os.environ["DATABASE_URL"] = url
    for cached in (get_settings, get_engine, session_factory):
        cached.cache_clear()
    return url


@pytest.fixture(scope="session")
def owner_engine(app_database_url: str, database_url: str):
    """The migrator's engine, for cleaning up rows committed by a test (no service role may delete them)."""
    from sqlalchemy import create_engine, pool

    engine = create_engine(database_url, poolclass=pool.NullPool)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def engine(app_database_url: str):
    from meetings.db import get_engine

    return get_engine()


HARNESS_SCOPE = "SELECT set_config('app.scope', 'manager', true), set_config('app.entity_id', '', true)"
NO_SCOPE = "SELECT set_config('app.scope', '', true), set_config('app.entity_id', '', true)"


@pytest.fixture
def db(engine) -> Iterator:
    """A session whose work is rolled back after the test; `commit()` inside releases a savepoint.

    The test's own reads and writes (fixtures, assertions) see every tenant; the code under test sets
    its own scope (see `api`)."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    connection = engine.connect()
    transaction = connection.begin()
    connection.execute(text(HARNESS_SCOPE))
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def api(db) -> Callable:
    """Builds a TestClient for a FastAPI app. Each request gets its own session, as in production, on the
    test's connection: what a request commits is a savepoint inside the test's rolled-back transaction."""
    from fastapi.testclient import TestClient
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from meetings.api.database import get_session

    def request_session() -> Iterator:
        connection = db.connection()
        connection.execute(text(NO_SCOPE))  # the request sees only what its own scope allows
        session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()
            connection.execute(text(HARNESS_SCOPE))
            db.expire_all()  # the test reads what the request wrote

    clients = []

    def make(app) -> TestClient:
        app.dependency_overrides[get_session] = request_session
        client = TestClient(app, raise_server_exceptions=False)
        clients.append((app, client))
        return client

    yield make
    for app, client in clients:
        client.close()
        app.dependency_overrides.clear()


@pytest.fixture
def auth_headers() -> Callable:
    """Bearer headers for a user row, as POST /v1/auth/login would issue them."""
    from meetings.identity.principal import Principal
    from meetings.identity.tokens import issue_access_token
    from meetings.settings import get_settings

    def make(user) -> dict[str, str]:
        principal = Principal(user_id=user.id, role=user.role, entity_id=user.entity_id)
        token, _ = issue_access_token(principal, get_settings())
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture(scope="session")
def prompted_embedder():
    """The packaged MiniLM with E5's instructions ("query: ", "passage: "): prompted, its vectors differ
    from the unprompted ones, so a test can tell which prompt a path used."""
    from meetings.embeddings import Embedder

    return Embedder("all-MiniLM-L6-v2", 384, query_prompt="query: ", passage_prompt="passage: ")
