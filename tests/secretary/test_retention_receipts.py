"""Retention of a room's transcript and consent records: deleted when due, with a receipt and its hash."""

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from meetings.identity.roles import UserRole
from meetings.secretary.consent.models import ConsentRecord
from meetings.secretary.events.models import AgentEventName, AgentSessionEvent, RoomEvent
from meetings.secretary.events.service import append_agent_event
from meetings.secretary.participants.models import ParticipantType
from meetings.secretary.retention import purge as purge_module
from meetings.secretary.retention.models import RetentionReceipt
from meetings.secretary.retention.purge import purge_due_room_content as _purge
from meetings.secretary.rooms.models import RoomStatus
from meetings.secretary.transcripts.models import TranscriptSegment
from meetings.secretary.transcripts.service import record_transcript_segment
from tests.factories import make_entity, make_participant, make_room, make_user
from tests.support.roles import as_harness

NOW = datetime.now(UTC)


def purge_due_room_content(*, db, **kwargs):
    """The purge as the retention job runs it: the jobs role, in the jobs scope."""
    from sqlalchemy import text

    from meetings.db_roles import JOBS_ROLE
    from meetings.db_scope import set_db_scope
    from tests.conftest import HARNESS_SCOPE
    from tests.support.roles import acting_as

    set_db_scope(db, "jobs")
    try:
        with acting_as(db, JOBS_ROLE):
            return _purge(db=db, **kwargs)
    finally:
        db.info.pop("db_scope", None)
        db.execute(text(HARNESS_SCOPE))


def ended_room(db, entity, days_ago: float, segments: int = 3):
    room = make_room(db, entity=entity, status=RoomStatus.COMPLETED)
    room.ended_at = NOW - timedelta(days=days_ago)
    participant = make_participant(db)
    with as_harness(db):  # segments are the agent's to write
        for n in range(segments):
            record_transcript_segment(
                db=db,
                room_id=room.id,
                participant_id=participant.id,
                speaker_name=participant.name,
                speaker_type=ParticipantType.CLIENT,
                start_seconds=n,
                end_seconds=n + 0.5,
                text=f"frase {n}",
                language="pt",
            )
        db.add(
            ConsentRecord(
                room_id=room.id, participant_id=participant.id, action="JOIN", recording=True, assistant=True
            )
        )
        for n in range(segments):  # the agent's log holds the same words
            append_agent_event(
                db=db,
                room_id=room.id,
                event_name=AgentEventName.TRANSCRIPTION_PROCESSED,
                participant_id=participant.id,
                content=f"frase {n}",
                metadata={"start_seconds": n},
            )
    db.flush()
    return room


def count(db, model, room) -> int:
    return db.scalar(select(func.count()).select_from(model).where(model.room_id == room.id))


def expected_hash(db, room) -> str:
    digest = hashlib.sha256()
    for model in (TranscriptSegment, ConsentRecord, AgentSessionEvent):
        for row in db.scalars(select(model).where(model.room_id == room.id).order_by(model.id)):
            values = {c.name: purge_module._canonical(getattr(row, c.key)) for c in model.__table__.columns}
            digest.update(
                json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
            )
            digest.update(b"\n")
    return digest.hexdigest()


@pytest.fixture
def clinic(db):
    return make_entity(db, recording_retention_days=30)


def test_due_rooms_lose_their_content_and_get_a_receipt_others_are_untouched(db, clinic):
    due = ended_room(db, clinic, days_ago=31)
    young = ended_room(db, clinic, days_ago=29)
    running = make_room(db, entity=clinic, status=RoomStatus.ACTIVE)
    segment_ids = list(
        db.scalars(
            select(TranscriptSegment.id)
            .where(TranscriptSegment.room_id == due.id)
            .order_by(TranscriptSegment.id)
        )
    )
    event_ids = list(
        db.scalars(
            select(AgentSessionEvent.id)
            .where(AgentSessionEvent.room_id == due.id)
            .order_by(AgentSessionEvent.id)
        )
    )
    digest = expected_hash(db, due)

    report = purge_due_room_content(db=db, now=NOW)

    assert report.complete and report.rooms == 1
    assert count(db, TranscriptSegment, due) == 0 and count(db, ConsentRecord, due) == 0
    assert count(db, AgentSessionEvent, due) == 0
    assert count(db, TranscriptSegment, young) == 3 and count(db, ConsentRecord, young) == 1
    assert count(db, AgentSessionEvent, young) == 3
    [receipt] = db.scalars(select(RetentionReceipt).where(RetentionReceipt.room_id == due.id)).all()
    assert receipt.purged["transcript_segments"] == {"count": 3, "ids": segment_ids}
    assert receipt.purged["consent_records"]["count"] == 1
    assert receipt.purged["agent_events"] == {"count": 3, "ids": event_ids}
    assert receipt.policy["retention_days"] == 30 and receipt.content_sha256 == digest
    [event] = db.scalars(
        select(RoomEvent).where(RoomEvent.room_id == due.id, RoomEvent.event_name == "RETENTION_PURGED")
    )
    assert event.data["receipt_id"] == receipt.id and event.data["content_sha256"] == digest
    assert event.data["counts"] == {
        "transcript_segments": 3,
        "consent_records": 1,
        "unsigned_notes": 0,
        "agent_events": 3,
    }
    assert (
        db.scalar(
            select(func.count())
            .select_from(RetentionReceipt)
            .where(RetentionReceipt.room_id.in_([young.id, running.id]))
        )
        == 0
    )
    again = purge_due_room_content(db=db, now=NOW)
    assert again.rooms == 0 and count(db, RetentionReceipt, due) == 1  # nothing counted twice


def test_an_independent_room_keeps_30_days_and_the_entitys_days_count(db):
    long_kept = make_entity(db, recording_retention_days=90)
    kept = ended_room(db, long_kept, days_ago=60)
    independent = ended_room(db, None, days_ago=31)
    purge_due_room_content(db=db, now=NOW)
    assert count(db, TranscriptSegment, kept) == 3
    assert count(db, TranscriptSegment, independent) == 0


def test_a_stopped_run_resumes_where_it_stopped(db, clinic):
    rooms = [ended_room(db, clinic, days_ago=40) for _ in range(3)]
    budget = iter([True, False])
    first = purge_due_room_content(db=db, now=NOW, keep_going=lambda: next(budget, False))
    assert first.rooms == 1 and not first.complete
    second = purge_due_room_content(db=db, now=NOW)
    assert second.rooms == 2 and second.complete
    assert [count(db, RetentionReceipt, room) for room in rooms] == [1, 1, 1]


def test_a_run_that_dies_half_way_through_a_room_leaves_it_whole(db, clinic, monkeypatch):
    room = ended_room(db, clinic, days_ago=40)
    digest = expected_hash(db, room)
    db.commit()  # the rows exist before the run, as in production

    def crash(**kwargs):
        raise RuntimeError("the Lambda died")

    monkeypatch.setattr(purge_module, "append_room_event", crash)
    with pytest.raises(RuntimeError):
        purge_due_room_content(db=db, now=NOW)
    db.rollback()
    assert count(db, TranscriptSegment, room) == 3 and count(db, RetentionReceipt, room) == 0
    monkeypatch.undo()
    assert purge_due_room_content(db=db, now=NOW).rooms == 1
    [receipt] = db.scalars(select(RetentionReceipt).where(RetentionReceipt.room_id == room.id)).all()
    assert receipt.content_sha256 == digest and receipt.purged["transcript_segments"]["count"] == 3


def test_receipts_are_readable_by_the_rooms_entity_only(client, db, clinic, auth_headers):
    room = ended_room(db, clinic, days_ago=40)
    purge_due_room_content(db=db, now=NOW)
    staff = auth_headers(make_user(db, role=UserRole.ENTITY_ADMIN, entity=clinic))
    answer = client.get(f"/v1/rooms/{room.id}/retention-receipts", headers=staff)
    assert answer.status_code == 200
    [receipt] = answer.json()["data"]
    assert receipt["purged"]["transcript_segments"]["count"] == 3 and len(receipt["content_sha256"]) == 64
    stranger = auth_headers(make_user(db, role=UserRole.ENTITY_ADMIN, entity=make_entity(db)))
    assert client.get(f"/v1/rooms/{room.id}/retention-receipts", headers=stranger).status_code == 404
    assert client.get("/v1/rooms/nope/retention-receipts", headers=staff).status_code == 404
    assert client.get(f"/v1/rooms/{room.id}/retention-receipts").status_code == 401


def test_unsigned_note_versions_go_with_the_transcript_and_signed_ones_stay(db, clinic):
    from datetime import UTC, datetime

    from meetings.secretary.notes.models import NoteStatus, VisitNote

    room = ended_room(db, clinic, days_ago=31)
    signed_at = datetime.now(UTC)
    common = {
        "room_id": room.id,
        "template_ref": "builtin:soap",
        "template_version": 1,
        "template_name": "SOAP",
        "kind": "progress_note",
        "template_sections": [],
        "sections": [],
    }
    superseded = VisitNote(
        version=1, status=NoteStatus.SUPERSEDED, signed_at=signed_at, content_hash="a" * 64, **common
    )
    signed = VisitNote(
        version=2, status=NoteStatus.SIGNED, signed_at=signed_at, content_hash="b" * 64, **common
    )
    db.add_all([superseded, signed])
    db.flush()
    draft = VisitNote(version=3, status=NoteStatus.DRAFT, amends_note_id=signed.id, **common)  # never signed
    db.add(draft)
    db.flush()

    purge_due_room_content(db=db, now=NOW)

    [receipt] = db.scalars(select(RetentionReceipt).where(RetentionReceipt.room_id == room.id)).all()
    assert receipt.purged["unsigned_notes"] == {"count": 1, "ids": [draft.id]}
    kept = db.execute(
        select(VisitNote.id, VisitNote.status).where(VisitNote.room_id == room.id).order_by(VisitNote.version)
    ).all()
    # The amendment nobody signed leaves the note as signed: its latest version is still the current one.
    assert [tuple(row) for row in kept] == [(superseded.id, "superseded"), (signed.id, "signed")]


def test_agent_events_leave_only_through_the_purge_function_and_only_for_a_finished_room(db, clinic):
    """The log stays append-only: no service role may DELETE it, and the function the jobs role may call
    leaves a running room's events alone."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from meetings.db_roles import AGENT_ROLE, APP_ROLE, JOBS_ROLE
    from tests.support.roles import acting_as

    running = make_room(db, entity=clinic, status=RoomStatus.ACTIVE)
    with as_harness(db):
        append_agent_event(
            db=db,
            room_id=running.id,
            event_name=AgentEventName.TRANSCRIPTION_PROCESSED,
            participant_id=make_participant(db).id,
            content="still talking",
            metadata={},
        )
    db.flush()
    for role in (APP_ROLE, JOBS_ROLE, AGENT_ROLE):
        assert not db.execute(
            text("SELECT has_table_privilege(:role, 'agent_session_events', 'DELETE')"), {"role": role}
        ).scalar()
        may_call = db.execute(
            text("SELECT has_function_privilege(:role, 'purge_agent_events(varchar)', 'EXECUTE')"),
            {"role": role},
        ).scalar()
        assert may_call == (role == JOBS_ROLE)
    with acting_as(db, JOBS_ROLE):
        assert db.execute(text("SELECT * FROM purge_agent_events(:room)"), {"room": running.id}).all() == []
    assert count(db, AgentSessionEvent, running) == 1
    with acting_as(db, APP_ROLE):
        savepoint = db.begin_nested()
        with pytest.raises(DBAPIError, match="permission denied"):
            db.execute(text("SELECT * FROM purge_agent_events(:room)"), {"room": running.id})
        savepoint.rollback()


def test_a_room_keeps_its_consent_and_words_while_a_recording_of_it_is_stored(db, clinic):
    """The entity shortened its retention after the visit: the recording keeps the 90 days it was made
    under, and the consent records that allowed it stay as long as it does."""
    from meetings.secretary.recordings.models import Recording
    from tests.recordings.support import make_recording

    room = ended_room(db, clinic, days_ago=31)
    with as_harness(db):
        recording = make_recording(db, room, retention_days=90, age_days=31)

    assert purge_due_room_content(db=db, now=NOW).rooms == 0
    assert count(db, ConsentRecord, room) == 1 and count(db, TranscriptSegment, room) == 3

    with as_harness(db):  # the recording purge deletes the file when its own retention ends
        db.execute(Recording.__table__.update().where(Recording.id == recording.id).values(deleted_at=NOW))
    assert purge_due_room_content(db=db, now=NOW).rooms == 1
    assert count(db, ConsentRecord, room) == 0 and count(db, TranscriptSegment, room) == 0
