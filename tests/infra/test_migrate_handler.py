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


def test_upgrades_the_configured_database_to_head(engine):
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from meetings.migrate import alembic_config

    module = _load_handler()
    assert module.handler({}, None) == {"status": "migrated"}
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head


def test_a_failed_migration_fails_the_invocation(monkeypatch):
    module = _load_handler()

    def broken(url=None):
        raise RuntimeError("relation already exists")

    monkeypatch.setattr(module, "upgrade_to_head", broken)
    with pytest.raises(RuntimeError, match="relation already exists"):
        module.handler({}, None)
