"""The deploy-time migrate function: brings the database to head, and fails loudly."""

import importlib.util

import pytest

from tests.infra.conftest import REPO_ROOT


def _load_handler():
    spec = importlib.util.spec_from_file_location(
        "migrate_handler", REPO_ROOT / "functions" / "migrate" / "handler.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_upgrades_the_configured_database_to_head(owner_engine, database_url, monkeypatch):
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from meetings.migrate import alembic_config
    from meetings.settings import get_settings

    module = _load_handler()
    monkeypatch.setenv("DATABASE_URL", database_url)  # the function logs in as the migrator
    get_settings.cache_clear()
    try:
        assert module.handler({}, None) == {"status": "migrated", "logins_provisioned": []}
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with owner_engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head


def test_a_failed_migration_fails_the_invocation(monkeypatch):
    module = _load_handler()

    def broken(url=None):
        raise RuntimeError("relation already exists")

    monkeypatch.setattr(module, "upgrade_to_head", broken)
    with pytest.raises(RuntimeError, match="relation already exists"):
        module.handler({}, None)


def test_role_secrets_give_each_role_its_login_once(database_url, monkeypatch):
    """First deployment: the roles' secrets become their passwords; later runs leave rotation alone."""
    import json

    import boto3
    from moto import mock_aws
    from sqlalchemy import create_engine, pool, text

    from meetings.db_roles import AGENT_ROLE, provision_logins

    module = _load_handler()
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        arn = client.create_secret(
            Name="meetings/test/database/agent",
            SecretString=json.dumps({"username": AGENT_ROLE, "password": "from-the-secret"}),
        )["ARN"]
        credentials = module.role_credentials(f" {arn} ,")
    assert credentials == {AGENT_ROLE: "from-the-secret"}
    owner = create_engine(database_url, poolclass=pool.NullPool)
    with owner.connect() as connection, connection.begin() as transaction:
        connection.execute(text(f"ALTER ROLE {AGENT_ROLE} NOLOGIN"))
        assert provision_logins(connection, credentials) == [AGENT_ROLE]
        assert provision_logins(connection, credentials) == []  # already a login: rotation owns it now
        can_login = connection.execute(
            text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :role"), {"role": AGENT_ROLE}
        ).scalar()
        assert can_login is True
        transaction.rollback()
    owner.dispose()
