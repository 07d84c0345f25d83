"""One real PostgreSQL (embedded, with pgvector) per test run, migrated to head; every test runs inside
a transaction that is rolled back, and route commits become savepoint releases."""

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


@pytest.fixture(scope="session")
def database_url() -> str:
    from meetings.db import sqlalchemy_url

    return sqlalchemy_url(os.environ["DATABASE_URL"])


@pytest.fixture(scope="session")
def engine(database_url: str):
    from meetings.db import get_engine
    from meetings.migrate import upgrade_to_head

    upgrade_to_head(database_url)
    return get_engine()


@pytest.fixture
def db(engine) -> Iterator:
    """A session whose work is rolled back after the test; `commit()` inside releases a savepoint."""
    from sqlalchemy.orm import Session

    connection = engine.connect()
    transaction = connection.begin()
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
    from sqlalchemy.orm import Session

    from meetings.api.database import get_session

    def request_session() -> Iterator:
        session = Session(
            bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            session.close()
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
