"""SnapStart (decision 0020): each API handler registers its hooks with the runtime's registry; before
the snapshot they prime the process without a connection or a secret, and after a restore the process
builds its engine, settings and AWS clients anew. Run as the runtime runs them, in a fresh interpreter
with the registry of `snapshot-restore-py`."""

import sys

import pytest

from infra import sources
from tests.support.fresh_interpreter import handler_report

RESTORE = """
import importlib.util, json, os
import snapshot_restore_py as runtime
from sqlalchemy import event
from sqlalchemy.pool import Pool
connections = []
event.listen(Pool, "connect", lambda dbapi_connection, record: connections.append(dbapi_connection))
spec = importlib.util.spec_from_file_location("handler", {path!r})
handler = importlib.util.module_from_spec(spec)
spec.loader.exec_module(handler)
from meetings import db, settings, storage
from meetings.models import Base
registered = [(hook.__module__, hook.__name__) for hook, _, _ in runtime.get_before_snapshot()]
registered += [(hook.__module__, hook.__name__) for hook, _, _ in runtime.get_after_restore()]
os.environ["DATABASE_URL"] = "postgresql+psycopg://nobody@192.0.2.1:1/none"  # unreachable: prime must not connect
for hook, args, kwargs in runtime.get_before_snapshot():
    hook(*args, **kwargs)  # raises unless the warm-up request answered 404
os.environ["DATABASE_URL"] = {database_url!r}
groups = getattr(handler.handler.app.state, "route_groups", None)  # meetings.api.route_groups
primed = {{
    "mappers_configured": all(mapper.configured for mapper in Base.registry.mappers),
    "connections": len(connections),
    "engine_cached": db.get_engine.cache_info().currsize,
    "route_groups_pending": len(groups.pending) if groups else 0,
}}
engine, config, s3 = db.get_engine(), settings.get_settings(), storage.s3_client()
with db.session_factory()() as session:
    session.connection()
snapshot_connection = connections[-1]
for hook, args, kwargs in runtime.get_after_restore():
    hook(*args, **kwargs)
with db.session_factory()() as session:
    restored_connection = session.connection().connection.dbapi_connection
print(json.dumps({{
    "registered": registered,
    "primed": primed,
    "new_engine": db.get_engine() is not engine,
    "snapshot_connection_reused": restored_connection is snapshot_connection,
    "connections": len(connections),
    "new_settings": settings.get_settings() is not config,
    "new_s3_client": storage.s3_client() is not s3,
}}))
"""


def restored(name: str, database_url: str) -> dict:
    return handler_report(RESTORE, name, env={"AWS_DEFAULT_REGION": "us-east-1"}, database_url=database_url)


@pytest.mark.parametrize("name", sources.SNAPSTART_FUNCTIONS)
def test_the_handler_primes_without_connecting_and_forgets_its_state_on_restore(name, app_database_url):
    report = restored(name, app_database_url)
    assert report["registered"] == [
        ["meetings.snapshot", "prime"],
        ["meetings.snapshot", "forget_process_state"],
    ]
    assert report["primed"] == {
        "mappers_configured": True,
        "connections": 0,
        "engine_cached": 0,
        "route_groups_pending": 0,  # a restored process serves any path without importing a router
    }
    assert report["new_engine"] and not report["snapshot_connection_reused"]
    assert report["connections"] == 2  # the one before the "snapshot", and a new one after the restore
    assert report["new_settings"] and report["new_s3_client"]


def test_a_warm_up_request_that_does_not_answer_404_fails_the_snapshot():
    from meetings import snapshot

    with pytest.raises(RuntimeError, match="answered 500"):
        snapshot.prime(lambda event, context: {"statusCode": 500})


def test_without_the_runtimes_registry_nothing_is_registered(monkeypatch):
    from meetings import snapshot

    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # as on python3.11: no such module
    assert snapshot.register_snapshot_hooks() is False
