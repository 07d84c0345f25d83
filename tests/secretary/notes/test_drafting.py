"""The drafting job against a local OpenAI-compatible server: prompt, structured output, the evidence
check, retries of malformed answers, failures with reasons, usage, events, and idempotency."""

import pytest
from sqlalchemy import select

from devserver.chat_completions import COMPLETION_TOKENS, PROMPT_TOKENS
from meetings.secretary.agent_usage.models import AgentUsage
from meetings.secretary.events.models import AgentSessionEvent, RoomEvent
from meetings.secretary.notes.drafting import ANSWER_TRIES, JOB_ATTEMPTS
from meetings.secretary.notes.llm import ModelUnavailable
from meetings.secretary.notes.models import NoteStatus, VisitNote
from tests.factories import make_entity, make_participant, make_room
from tests.secretary.notes.scripted import soap_answer


def statements_of(note: VisitNote) -> dict[str, list[dict]]:
    return {section["key"]: section["statements"] for section in note.sections}


def test_the_room_end_asks_for_a_soap_draft_of_a_clinic(visit):
    _, _, note = visit

    assert note.status == NoteStatus.PENDING and note.version == 1
    assert note.template_ref == "builtin:soap" and note.kind == "progress_note"
    assert [s["key"] for s in note.template_sections] == ["subjective", "objective", "assessment", "plan"]


def test_a_well_formed_answer_becomes_a_draft_with_its_evidence(db, visit, chat_server, note_model, run_job):
    room, segments, note = visit
    chat_server.script = [soap_answer(segments)]

    assert run_job(note.id, note_model) == "drafted"

    db.refresh(note)
    assert note.status == NoteStatus.DRAFT and note.drafted_at is not None
    plan = statements_of(note)["plan"]
    assert plan[0]["text"].startswith("Ibuprofen 400 mg") and plan[0]["evidence"] == [segments["plan"].id]
    assert {s["support"] for section in note.sections for s in section["statements"]} == {"supported"}
    assert note.tokens_input == PROMPT_TOKENS and note.tokens_output == COMPLETION_TOKENS
    assert [s["title"] for s in note.sections] == ["Subjective", "Objective", "Assessment", "Plan"]


def test_the_prompt_holds_only_consented_speech_and_the_instructions(visit, chat_server, note_model, run_job):
    _, segments, note = visit
    chat_server.script = [soap_answer(segments)]

    run_job(note.id, note_model)

    request = chat_server.requests[0]
    system, user = (message["content"] for message in request["messages"])
    assert f"[{segments['cough'].id}]" in user and "Maria Lima (client)" in user
    assert "Dr. Ana Souza (professional)" in user
    assert "smokes" not in user  # the relative refused the assistant
    assert "allergies" not in user  # the agent's own speech
    assert "Use metric units." in system and "`plan` (Plan)" in system
    assert request["model"] == "local-model"
    schema = request["response_format"]["json_schema"]
    assert request["response_format"]["type"] == "json_schema" and schema["strict"] is True
    keys = schema["schema"]["properties"]["sections"]["items"]["properties"]["key"]["enum"]
    assert keys == ["subjective", "objective", "assessment", "plan"]


def test_evidence_from_another_room_or_without_shared_terms_is_unsupported(
    db, clinic, visit, chat_server, note_model, run_job
):
    from meetings.secretary.transcripts.service import record_transcript_segment
    from tests.support.roles import as_harness

    _, segments, note = visit
    elsewhere = make_room(db, make_entity(db))
    stranger = make_participant(db)
    with as_harness(db):
        foreign = record_transcript_segment(
            db=db,
            room_id=elsewhere.id,
            participant_id=stranger.id,
            speaker_name=stranger.name,
            speaker_type=stranger.type,
            start_seconds=1,
            end_seconds=2,
            text="Dry cough for two weeks.",
        )
    chat_server.script = [
        soap_answer(
            segments,
            assessment=[
                {"text": "Dry cough for two weeks.", "evidence": [foreign.id]},
                {"text": "Probable asthma.", "evidence": [segments["cough"].id]},
                {"text": "Smoker, one pack a day.", "evidence": [segments["relative"].id]},
                {"text": "Bronchitis suspected.", "evidence": []},
            ],
        )
    ]

    run_job(note.id, note_model)

    db.refresh(note)
    foreign_cite, no_shared_term, refused_speaker, uncited = statements_of(note)["assessment"]
    assert foreign_cite["support"] == "unsupported"
    assert foreign_cite["evidence"] == [] and foreign_cite["rejected_evidence"] == [foreign.id]
    assert no_shared_term["support"] == "unsupported" and no_shared_term["evidence"] == [segments["cough"].id]
    assert refused_speaker["rejected_evidence"] == [segments["relative"].id]
    assert uncited["support"] == "unsupported"
    drafted = db.scalars(
        select(RoomEvent).where(RoomEvent.room_id == note.room_id, RoomEvent.event_name == "NOTE_DRAFTED")
    ).one()
    assert drafted.data["unsupported"] == 4 and drafted.data["statements"] == 8


def test_a_malformed_answer_is_asked_again_and_every_call_is_counted(
    db, visit, chat_server, note_model, run_job
):
    room, segments, note = visit
    chat_server.script = [
        "{not json",
        {"sections": [{"key": "history", "statements": []}]},
        soap_answer(segments),
    ]

    assert run_job(note.id, note_model) == "drafted"

    assert len(chat_server.requests) == 3
    db.refresh(note)
    assert note.tokens_input == 3 * PROMPT_TOKENS
    usage = db.scalars(
        select(AgentUsage).where(
            AgentUsage.room_id == room.id, AgentUsage.data["kind"].astext == "note_draft"
        )
    ).one()
    assert usage.data["total_tokens_input"] == 3 * PROMPT_TOKENS
    assert usage.data["interactions_count"] == 3 and usage.duration_seconds == 0


def test_answers_malformed_every_time_fail_the_note_with_the_reason_logged(
    db, visit, chat_server, note_model, run_job
):
    room, segments, note = visit
    chat_server.script = [{"sections": [{"key": "plan", "statements": [{"text": "x", "evidence": ["one"]}]}]}]

    assert run_job(note.id, note_model) == "failed"

    db.refresh(note)
    assert len(chat_server.requests) == ANSWER_TRIES
    assert note.status == NoteStatus.FAILED and note.failure_code == "malformed_answer"
    assert "int_type" in note.failure_reason and "one" not in note.failure_reason
    error = db.scalars(select(AgentSessionEvent).where(AgentSessionEvent.room_id == room.id)).one()
    assert error.event_name == "AGENT_ERROR" and error.data["metadata"]["code"] == "malformed_answer"
    assert (
        db.scalars(select(RoomEvent.event_name).where(RoomEvent.room_id == room.id)).all()[-1]
        == "NOTE_FAILED"
    )


def test_an_unreachable_model_leaves_the_note_pending_until_the_last_attempt(
    db, visit, chat_server, note_model, run_job
):
    _, _, note = visit
    chat_server.script = [503]

    for _ in range(JOB_ATTEMPTS - 1):
        with pytest.raises(ModelUnavailable):
            run_job(note.id, note_model)
        db.refresh(note)
        assert note.status == NoteStatus.PENDING and note.lease_until is None

    assert run_job(note.id, note_model) == "failed"
    db.refresh(note)
    assert note.failure_code == "model_unavailable" and note.attempts == JOB_ATTEMPTS


def test_a_refused_request_fails_at_once(db, visit, chat_server, note_model, run_job):
    _, _, note = visit
    chat_server.script = [400]

    assert run_job(note.id, note_model) == "failed"

    db.refresh(note)
    assert note.failure_code == "model_refused" and len(chat_server.requests) == 1


def test_running_the_job_again_changes_nothing(db, visit, chat_server, note_model, run_job):
    room, segments, note = visit
    chat_server.script = [soap_answer(segments)]
    run_job(note.id, note_model)
    drafted = statements_of(db.get(VisitNote, note.id))

    assert run_job(note.id, note_model) == "skipped"

    assert len(chat_server.requests) == 1
    assert statements_of(db.get(VisitNote, note.id)) == drafted
    events = db.scalars(select(RoomEvent.event_name).where(RoomEvent.room_id == room.id)).all()
    assert events.count("NOTE_DRAFTED") == 1


def test_a_job_that_died_is_taken_over_when_its_lease_runs_out(db, visit, chat_server, note_model, run_job):
    from datetime import UTC, datetime, timedelta

    from meetings.secretary.notes.drafting import LEASE

    _, segments, note = visit
    note.status, note.lease_until = NoteStatus.DRAFTING, datetime.now(UTC) + LEASE
    db.flush()
    chat_server.script = [soap_answer(segments)]

    assert run_job(note.id, note_model) == "skipped"
    assert run_job(note.id, note_model, now=datetime.now(UTC) + LEASE + timedelta(seconds=1)) == "drafted"


def test_a_visit_without_consented_speech_fails_without_asking_the_model(
    db, clinic, chat_server, note_model, run_job
):
    from datetime import UTC, datetime

    from meetings.secretary.rooms.models import RoomStatus
    from meetings.secretary.rooms.service import mark_ended

    room = make_room(db, clinic, status=RoomStatus.ACTIVE)
    mark_ended(db=db, room=room, at=datetime.now(UTC), reason="ended_by_organizer")
    note = db.scalars(select(VisitNote).where(VisitNote.room_id == room.id)).one()

    assert run_job(note.id, note_model) == "failed"

    db.refresh(note)
    assert note.failure_code == "empty_transcript" and chat_server.requests == []


def test_a_canceled_room_and_a_second_end_ask_for_no_other_note(db, clinic, visit):
    from datetime import UTC, datetime

    from meetings.secretary.notes.requests import request_draft_note
    from meetings.secretary.rooms.models import RoomStatus
    from meetings.secretary.rooms.service import mark_ended

    room, _, _ = visit
    assert request_draft_note(db=db, room_id=room.id, entity_id=clinic.id, department_id=None) is None
    canceled = make_room(db, clinic, status=RoomStatus.ACTIVE)
    mark_ended(db=db, room=canceled, at=datetime.now(UTC), reason="canceled", status=RoomStatus.CANCELED)
    assert db.scalars(select(VisitNote).where(VisitNote.room_id == canceled.id)).all() == []
    assert len(db.scalars(select(VisitNote).where(VisitNote.room_id == room.id)).all()) == 1


def test_a_note_whose_runs_were_all_stopped_fails_at_its_next_claim(
    db, visit, chat_server, note_model, run_job
):
    _, _, note = visit
    note.attempts = JOB_ATTEMPTS  # each stopped run counted its claim
    db.flush()

    assert run_job(note.id, note_model) == "failed"

    db.refresh(note)
    assert note.failure_code == "model_unavailable" and chat_server.requests == []
