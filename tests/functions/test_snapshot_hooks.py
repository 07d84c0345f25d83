"""SnapStart (decision 0020): each API handler registers its hooks with the runtime's registry; before
the snapshot they prime the process without a connection or a secret, and after a restore the process
builds its engine, settings and AWS clients anew. Run as the runtime runs them, in a fresh interpreter
with the registry of `snapshot-restore-py`."""

import json
import os
import subprocess
import sys

import pytest

from infra import sources

RESTORE = """
import importlib.util, json
import snapshot_restore_py as runtime
spec = importlib.util.spec_from_file_location("handler", {path!r})
handler = importlib.util.module_from_spec(spec)
spec.loader.exec_module(handler)
from meetings import db, settings, storage
from meetings.models import Base
registered = [(hook.__module__, hook.__name__) for hook, _, _ in runtime.get_before_snapshot()]
registered += [(hook.__module__, hook.__name__) for hook, _, _ in runtime.get_after_restore()]
import os
os.environ["DATABASE_URL"] = "postgresql+psycopg://nobody@192.0.2.1:1/none"  # unreachable: prime must not connect
for hook, args, kwargs in runtime.get_before_snapshot():
    hook(*args, **kwargs)
os.environ["DATABASE_URL"] = {database_url!r}
primed = {{
    "mappers_configured": all(mapper.configured for mapper in Base.registry.mappers),
    "engine_cached": db.get_engine.cache_info().currsize,
    "settings_cached": settings.get_settings.cache_info().currsize,
}}
engine, config, s3 = db.get_engine(), settings.get_settings(), storage.s3_client()
with db.session_factory()() as session:
    session.connection()
pooled_before = engine.pool.checkedin()
for hook, args, kwargs in runtime.get_after_restore():
    hook(*args, **kwargs)
print(json.dumps({{
    "registered": registered,
    "primed": primed,
    "pooled_before_restore": pooled_before,
    "old_pool_after_restore": engine.pool.checkedin(),
    "new_engine": db.get_engine() is not engine,
    "new_settings": settings.get_settings() is not config,
    "new_s3_client": storage.s3_client() is not s3,
}}))
"""


def restored(name: str, database_url: str) -> dict:
    path = str(sources.function_dir(name) / "handler.py")
    result = subprocess.run(
        [sys.executable, "-c", RESTORE.format(path=path, database_url=database_url)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ENVIRONMENT": "test", "AWS_DEFAULT_REGION": "us-east-1"},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", sources.SNAPSTART_FUNCTIONS)
def test_the_handler_primes_without_connecting_and_forgets_its_state_on_restore(name, app_database_url):
    report = restored(name, app_database_url)
    assert report["registered"] == [
        ["meetings.snapshot", "prime"],
        ["meetings.snapshot", "forget_process_state"],
    ]
    assert report["primed"] == {"mappers_configured": True, "engine_cached": 0, "settings_cached": 0}
    assert report["pooled_before_restore"] == 1
    assert report["old_pool_after_restore"] == 0  # the snapshot's sockets are dropped with their pool
    assert report["new_engine"] and report["new_settings"] and report["new_s3_client"]


def test_without_the_runtimes_registry_nothing_is_registered(monkeypatch):
    from meetings import snapshot

    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # as on python3.11: no such module
    assert snapshot.register_snapshot_hooks() is False
