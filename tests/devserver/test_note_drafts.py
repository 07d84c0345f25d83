"""`make run`'s note drafter: a committed room end reaches the worker thread, which drafts the note as
the jobs role through a local OpenAI-compatible server."""

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from devserver.chat_completions import ScriptedChatServer
from meetings.secretary.consent.service import record_join_consent
from meetings.secretary.notes import queue
from meetings.secretary.notes.models import NoteStatus, VisitNote
from meetings.secretary.rooms.service import mark_ended
from meetings.secretary.transcripts.service import record_transcript_segment
from tests.factories import make_participant
from tests.secretary.helpers import add_to_room
from tests.support.roles import as_harness


@pytest.fixture
def local_drafter(database_url, tmp_path, monkeypatch):
    from devserver.note_drafts import start_local_note_drafter
    from meetings.db_roles import JOBS_ROLE, local_login_url
    from meetings.settings import get_settings

    server = ScriptedChatServer().start()
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("NOTE_MODEL", "local-model")
    get_settings.cache_clear()
    stop = start_local_note_drafter(local_login_url(database_url, JOBS_ROLE, tmp_path), every=3600)
    yield server
    stop.set()
    queue.use_local_runner(None)
    server.stop()
    get_settings.cache_clear()


def wait_for_status(session, room_id: str, timeout: float = 20.0) -> VisitNote:
    deadline = time.monotonic() + timeout
    while True:
        session.expire_all()
        note = session.scalars(select(VisitNote).where(VisitNote.room_id == room_id)).one()
        if note.status not in (NoteStatus.PENDING, NoteStatus.DRAFTING) or time.monotonic() > deadline:
            return note
        time.sleep(0.05)


def test_a_committed_room_end_is_drafted_in_process(committed, local_drafter):
    session = committed.session
    room = committed.room(committed.entity(type="design_agency"))
    person = make_participant(session, name="Paula")
    add_to_room(session, room, person)
    record_join_consent(
        db=session,
        room_id=room.id,
        entity_id=room.entity_id,
        participant_id=person.id,
        recording=False,
        assistant=True,
        language="en",
        client_address=None,
    )
    with as_harness(session):
        line = record_transcript_segment(
            db=session,
            room_id=room.id,
            participant_id=person.id,
            speaker_name="Paula",
            speaker_type=person.type,
            start_seconds=3,
            end_seconds=6,
            text="We decided to launch the campaign in March.",
        )
    session.commit()
    local_drafter.script = [
        {
            "sections": [
                {
                    "key": "decisions",
                    "statements": [{"text": "Launch the campaign in March.", "evidence": [line.id]}],
                }
            ]
        }
    ]

    mark_ended(db=session, room=room, at=datetime.now(UTC), reason="ended_by_organizer")
    session.commit()

    note = wait_for_status(session, room.id)
    assert note.status == NoteStatus.DRAFT and note.template_ref == "builtin:minutes"
    decisions = next(s for s in note.sections if s["key"] == "decisions")["statements"]
    assert decisions[0]["support"] == "supported" and decisions[0]["evidence"] == [line.id]
