"""The note drafter Lambda and the hand-over that feeds it: a room's end sends its note id to SQS (moto)
after the commit and never for a rolled-back transaction; the SQS event runs the job; the schedule
queues notes a lost message left pending."""

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws
from sqlalchemy import select, update

from meetings.secretary.notes.models import NoteStatus, VisitNote
from meetings.secretary.rooms.service import mark_ended
from tests.functions.test_webhook_handlers import sqs_event
from tests.recordings.aws_events import LambdaContext, scheduled_event
from tests.recordings.support import load_function


@pytest.fixture
def notes_queue(monkeypatch):
    from meetings.settings import get_settings

    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="notes")["QueueUrl"]
        monkeypatch.setenv("NOTE_QUEUE_URL", url)
        get_settings.cache_clear()
        sqs.url = url
        yield sqs
    get_settings.cache_clear()


@pytest.fixture
def jobs_login(database_url, app_database_url, tmp_path, monkeypatch):
    """The handler connects as the jobs role, as the deployed Lambda does."""
    from meetings.db import get_engine, session_factory
    from meetings.db_roles import JOBS_ROLE, local_login_url
    from meetings.settings import get_settings

    caches = (get_settings, get_engine, session_factory)
    monkeypatch.setenv("DATABASE_URL", local_login_url(database_url, JOBS_ROLE, tmp_path))
    for cached in caches:
        cached.cache_clear()
    yield
    get_engine().dispose()
    monkeypatch.setenv("DATABASE_URL", app_database_url)
    for cached in caches:
        cached.cache_clear()


def received(sqs) -> list[dict]:
    return sqs.receive_message(QueueUrl=sqs.url, MaxNumberOfMessages=10).get("Messages", [])


def end(committed, room) -> int:
    mark_ended(db=committed.session, room=room, at=datetime.now(UTC), reason="ended_by_organizer")
    committed.session.flush()
    return committed.session.scalars(select(VisitNote.id).where(VisitNote.room_id == room.id)).one()


def test_the_note_id_is_queued_once_the_end_commits(committed, notes_queue):
    room = committed.room(committed.entity(type="medical_clinic"))
    note_id = end(committed, room)

    assert received(notes_queue) == []  # nothing before the commit
    committed.session.commit()

    [message] = received(notes_queue)
    assert json.loads(message["Body"]) == {"note_id": note_id}


def test_a_rolled_back_end_queues_nothing(committed, notes_queue):
    room = committed.room(committed.entity())
    committed.session.commit()
    end(committed, room)

    committed.session.rollback()

    assert received(notes_queue) == []
    assert committed.session.scalars(select(VisitNote).where(VisitNote.room_id == room.id)).all() == []


def test_the_sqs_event_runs_the_job_for_its_note(committed, notes_queue, jobs_login):
    room = committed.room(committed.entity())
    note_id = end(committed, room)
    committed.session.commit()
    handler = load_function("note_drafter").handler

    outcome = handler(sqs_event(received(notes_queue)), LambdaContext(60_000))

    assert outcome == {"failed": 1}  # nobody spoke: failed without a model call
    committed.session.expire_all()
    note = committed.session.get(VisitNote, note_id)
    assert note.status == NoteStatus.FAILED and note.failure_code == "empty_transcript"
    assert handler(sqs_event(received(notes_queue) or [_message(note_id)]), LambdaContext(60_000)) == {
        "skipped": 1
    }


def _message(note_id: int) -> dict:
    return {
        "MessageId": "m-1",
        "ReceiptHandle": "r-1",
        "Body": json.dumps({"note_id": note_id}),
        "MD5OfBody": "",
    }


def test_the_schedule_queues_notes_a_lost_message_left_pending(
    committed, notes_queue, owner_engine, jobs_login
):
    room = committed.room(committed.entity())
    note_id = end(committed, room)
    committed.session.commit()
    received(notes_queue)  # the message sent at commit is "lost"
    notes_queue.purge_queue(QueueUrl=notes_queue.url)
    handler = load_function("note_drafter").handler
    assert handler(scheduled_event(), LambdaContext(60_000)) == {"queued": 0}  # still within the grace period

    with owner_engine.begin() as connection:
        connection.execute(
            update(VisitNote)
            .where(VisitNote.id == note_id)
            .values(created_at=datetime.now(UTC) - timedelta(minutes=3))
        )

    assert handler(scheduled_event(), LambdaContext(60_000)) == {"queued": 1}
    assert [json.loads(m["Body"])["note_id"] for m in received(notes_queue)] == [note_id]


def test_the_drafter_loads_no_web_framework_nor_the_model_client_at_init():
    import subprocess
    import sys
    from pathlib import Path

    handler = Path(__file__).resolve().parents[2] / "functions/note_drafter/handler.py"
    probe = (
        "import sys, importlib.util; "
        f"spec = importlib.util.spec_from_file_location('handler', {str(handler)!r}); "
        "spec.loader.exec_module(importlib.util.module_from_spec(spec)); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'fastapi', 'starlette', 'mangum', 'openai'}))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
