"""What the logs keep of a failure (meetings.log): its type, SQLSTATE, constraint and place, never its
text; and Mangum's own lines in a Lambda app, which would otherwise log a magic link's path and an
unhandled error's message."""

import logging

import pytest
from fastapi import APIRouter
from mangum import Mangum
from sqlalchemy import exc, text

from meetings.api.app import create_app
from meetings.log import failure
from tests.functions.test_manager_handler import http_api_event


def test_a_database_error_is_described_by_its_codes_and_place_never_by_its_message(db):
    with pytest.raises(exc.DataError) as raised:
        db.execute(text("SELECT CAST('my chest hurts' AS integer)"))
    db.rollback()
    described = failure(raised.value)
    assert "my chest hurts" in str(raised.value)  # what a plain log line would have kept
    assert "my chest hurts" not in str(described)
    assert described["error_type"] == "DataError"
    assert described["error_cause"] == "InvalidTextRepresentation"
    assert described["sqlstate"] == "22P02"
    assert described["where"][0].startswith("test_log.py:")  # this project's frames first
    assert described["where"][-1].startswith("cursor.py:")  # then the frame that raised


def test_a_constraint_violation_names_its_constraint_and_not_the_row(db):
    with pytest.raises(exc.IntegrityError) as raised:
        db.execute(
            text(
                "INSERT INTO entities (name, type, max_participants) "
                "VALUES ('Clinic of my chest pains', 'medical_clinic', 100000)"
            )
        )
    db.rollback()
    described = failure(raised.value)
    assert described["sqlstate"] == "23514"
    assert described["constraint"] == "ck_entities_max_participants_range"
    assert "chest pains" not in str(described)


def test_an_unhandled_error_in_a_lambda_app_is_logged_by_type_and_place_only(caplog):
    router = APIRouter()

    @router.get("/v1/join/{token}")
    def join(token: str):
        raise RuntimeError(f"the patient wrote: my chest hurts ({token})")

    handler = Mangum(create_app("test", [router]), lifespan="off")
    caplog.set_level(logging.DEBUG)
    answer = handler(http_api_event("GET", "/v1/join/secret-link-token"), None)

    assert answer["statusCode"] == 500
    logged = " ".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    assert "chest hurts" not in logged and "secret-link-token" not in logged
    ours = [record for record in caplog.records if record.getMessage() == "unhandled error"]
    assert ours and ours[0].error_type == "RuntimeError"
    assert any(where.startswith("test_log.py:") for where in ours[0].where)


def test_a_job_fails_as_its_error_type_alone_and_still_fails(caplog):
    from meetings.log import JobFailed, raises_without_values

    @raises_without_values
    def handler(event, context):
        raise ValueError(f"could not parse {event['line']}")

    with pytest.raises(JobFailed) as raised:
        handler({"line": "my chest hurts"}, None)
    assert str(raised.value) == "ValueError"
    assert raised.value.__cause__ is None and raised.value.__suppress_context__  # what Lambda prints
    logged = [record for record in caplog.records if record.getMessage() == "job failed"]
    assert logged[0].error_type == "ValueError" and "chest" not in str(logged[0].__dict__)
    assert handler.__name__ == "handler"


def test_on_lambda_a_library_beside_the_package_is_not_taken_for_this_projects_code(monkeypatch):
    import meetings.log as log

    monkeypatch.setattr(log, "_PACKAGE", "/opt/python/meetings")
    monkeypatch.setattr(log, "_PACKAGE_PARENT", "/opt/python")
    assert log._library_file("/opt/python/sqlalchemy/engine/base.py")
    assert not log._library_file("/opt/python/meetings/secretary/notes/drafting.py")
    assert not log._library_file("/var/task/handler.py")
    assert log._library_file("/var/lang/lib/python3.12/site-packages/boto3/session.py")
