"""Every zip handler imports with the garbage collector paused: no full collection scans what the
imports build, it is frozen instead, and the collector runs again for the invocations."""

import pytest

from infra import sources
from tests.support.fresh_interpreter import handler_report

REPORT = """
import gc, importlib.util, json
before = gc.get_stats()[2]["collections"]
spec = importlib.util.spec_from_file_location("handler", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps({{
    "full_collections": gc.get_stats()[2]["collections"] - before,
    "frozen": gc.get_freeze_count() > 10_000,
    "enabled": gc.isenabled(),
    "handler": callable(module.handler),
}}))
"""


@pytest.mark.parametrize("name", sources.ZIP_FUNCTIONS)
def test_the_import_runs_no_full_collection_and_the_collector_resumes(name):
    report = handler_report(REPORT, name)
    assert report == {"full_collections": 0, "frozen": True, "enabled": True, "handler": True}


LOADED_AT_FIRST_USE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("handler", {path!r})
spec.loader.exec_module(importlib.util.module_from_spec(spec))
at_init = "phonenumbers" in sys.modules
from meetings.validation import normalize_e164
print(json.dumps({{"at_init": at_init, "checked": normalize_e164("+5511987654321")}}))
"""


@pytest.mark.parametrize("name", ["manager_api", "secretary_api"])
def test_the_phone_number_library_loads_at_the_first_phone_not_at_init(name):
    assert handler_report(LOADED_AT_FIRST_USE, name) == {"at_init": False, "checked": "+5511987654321"}


LOADED_MODULES = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("handler", {path!r})
spec.loader.exec_module(importlib.util.module_from_spec(spec))
print(json.dumps(sorted(sys.modules)))
"""


def test_webhook_intake_does_not_load_the_join_use_case():
    """The webhook counts seats (participants.seats); the join's schemas and password checks stay out."""
    loaded = set(handler_report(LOADED_MODULES, "livekit_webhook"))
    assert "meetings.secretary.participants.seats" in loaded
    assert not {m for m in loaded if m.startswith("meetings.secretary.joins")}


@pytest.mark.parametrize("name", ["retention_purge", "webhook_sweep"])
def test_the_scheduled_jobs_do_not_load_powertools_event_classes(name):
    """Their EventBridge event is a dict; the classes of every event kind load as one package."""
    loaded = set(handler_report(LOADED_MODULES, name))
    assert "aws_lambda_powertools.logging" in loaded
    assert "aws_lambda_powertools.utilities.data_classes" not in loaded


def test_the_sweep_leases_without_loading_the_delivery_code():
    """It queues (id, lease token) pairs: the models, the signer and the HTTP transport are the
    dispatcher's (meetings/notifications/leases.py)."""
    loaded = set(handler_report(LOADED_MODULES, "webhook_sweep"))
    assert "meetings.notifications.leases" in loaded
    sending = {"standardwebhooks", "meetings.notifications.dispatch", "meetings.notifications.transport"}
    assert not loaded & {*sending, "meetings.notifications.models"}


FOREIGN_KEYS_RESOLVED = """
import importlib.util, json
spec = importlib.util.spec_from_file_location("handler", {path!r})
spec.loader.exec_module(importlib.util.module_from_spec(spec))
from sqlalchemy.exc import NoReferencedTableError
from meetings.db import Base
unresolved = []
for table in Base.metadata.tables.values():
    for foreign_key in table.foreign_keys:
        try:
            foreign_key.column
        except NoReferencedTableError:
            unresolved.append(f"{{table.name}}.{{foreign_key.parent.name}}")
print(json.dumps({{"unresolved": sorted(unresolved)}}))
"""


@pytest.mark.parametrize("name", sources.ZIP_FUNCTIONS)
def test_every_table_a_handler_loads_can_be_flushed(name):
    """A flush orders its tables by their foreign keys: one naming a table the process never loaded
    raises NoReferencedTableError before any SQL is sent."""
    assert handler_report(FOREIGN_KEYS_RESOLVED, name) == {"unresolved": []}
