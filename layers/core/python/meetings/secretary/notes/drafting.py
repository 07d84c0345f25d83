"""The drafting job: a pending note becomes a draft (or fails with a reason) from the room's consented
transcript, its instructions and its template, through the model. Idempotent per note: only a pending
note, or one whose previous job's lease expired, is drafted; anything else is left alone."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from meetings.llm_prices import token_cost
from meetings.log import logger
from meetings.notifications import outbox
from meetings.notifications.catalogue import EventType
from meetings.secretary.agent_usage.models import NOTE_DRAFT_USAGE, AgentUsage
from meetings.secretary.events.models import AgentEventName, RoomEventName
from meetings.secretary.events.service import append_agent_event, append_room_event
from meetings.secretary.notes.answer import MalformedAnswer, parse_answer
from meetings.secretary.notes.evidence import check_evidence
from meetings.secretary.notes.llm import ModelRefused, ModelUnavailable, NoteModel
from meetings.secretary.notes.models import NoteStatus, VisitNote
from meetings.secretary.notes.prompt import (
    MAX_TRANSCRIPT_CHARACTERS,
    TranscriptLine,
    answer_schema,
    build_messages,
)
from meetings.secretary.rooms.instructions import room_with_instructions
from meetings.secretary.rooms.models import Room
from meetings.secretary.transcripts.consented import DECISIONS, HEARD_WITH_CONSENT

LEASE = timedelta(minutes=5)  # longer than a job may run (the Lambda stops at three minutes)
ANSWER_TRIES = 3  # a malformed answer is asked again this many times in all
JOB_ATTEMPTS = 5  # an unreachable model: the job gives up on the note after this many runs

# The visit's content: the lines the speakers' consent covers (meetings.secretary.transcripts.consented);
# the agent's own speech is not part of it.
_CONSENTED_LINES = f"""
    WITH {DECISIONS}
    SELECT s.id, s.speaker_name, s.speaker_type::text, s.start_seconds::float8, s.text
    FROM transcript_segments s
    WHERE s.room_id = %(room_id)s AND s.speaker_type <> 'AGENT' AND {HEARD_WITH_CONSENT}
    ORDER BY s.start_seconds, s.id
"""


def consented_lines(*, db: Session, room_id: str) -> list[TranscriptLine]:
    """The room's consented lines, in order. A visit has a thousand of them: they are read through the
    session's psycopg connection, in its transaction, as plain tuples (through SQLAlchemy's result
    rows, one by one, they cost as much again as the query)."""
    driver = db.connection().connection.driver_connection
    return [TranscriptLine(*row) for row in driver.execute(_CONSENTED_LINES, {"room_id": room_id}).fetchall()]


# The lease, taken in one UPDATE … RETURNING; built once (it has only bound values) and run without the
# ORM's session synchronisation, which would match the criteria against every loaded object.
_CLAIM = (
    update(VisitNote)
    .where(
        VisitNote.id == bindparam("note_id"),
        (VisitNote.status == NoteStatus.PENDING)
        | ((VisitNote.status == NoteStatus.DRAFTING) & (VisitNote.lease_until < bindparam("now"))),
    )
    .values(status=NoteStatus.DRAFTING, lease_until=bindparam("lease_until"), attempts=VisitNote.attempts + 1)
    .returning(VisitNote)
)


def claim_note(*, db: Session, note_id: int, now: datetime) -> VisitNote | None:
    """Leases the note to this job, or None when it is not waiting for one."""
    return db.scalars(
        _CLAIM,
        {"note_id": note_id, "now": now, "lease_until": now + LEASE},
        execution_options={"populate_existing": True, "synchronize_session": False},
    ).one_or_none()


def waiting_note_ids(*, db: Session, older_than: timedelta, now: datetime, limit: int = 100) -> list[int]:
    """Notes a lost hand-over left pending, and drafts whose job died (their lease ran out)."""
    return list(
        db.scalars(
            select(VisitNote.id)
            .where(
                ((VisitNote.status == NoteStatus.PENDING) & (VisitNote.created_at < now - older_than))
                | ((VisitNote.status == NoteStatus.DRAFTING) & (VisitNote.lease_until < now))
            )
            .order_by(VisitNote.created_at)
            .limit(limit)
        )
    )


def draft_note(*, db: Session, note_id: int, model: NoteModel, now: datetime | None = None) -> str:
    """Runs the job for one note; returns "drafted", "failed" or "skipped". Commits its own steps."""
    now = now or datetime.now(UTC)
    note = claim_note(db=db, note_id=note_id, now=now)
    if note is None:
        db.commit()
        return "skipped"
    room, instructions = room_with_instructions(db=db, room_id=note.room_id)
    if note.attempts > JOB_ATTEMPTS:  # earlier runs were stopped before they could give up themselves
        return _fail(db, note, room, "model_unavailable", f"No answer after {JOB_ATTEMPTS} runs of the job.")
    lines = consented_lines(db=db, room_id=room.id)
    db.commit()  # the lease is visible to other jobs; nothing is held open during the model's calls
    if not lines:
        return _fail(db, note, room, "empty_transcript", "No consented speech was transcribed in this visit.")
    if sum(len(line.text) for line in lines) > MAX_TRANSCRIPT_CHARACTERS:
        return _fail(db, note, room, "transcript_too_long", "The transcript is too long to draft from.")
    keys = [section["key"] for section in note.template_sections]
    messages = build_messages(
        template_name=note.template_name,
        kind=note.kind,
        sections=note.template_sections,
        instructions=instructions,
        lines=lines,
    )
    asked = Answers()
    try:
        ask_for_statements(model, messages, answer_schema(keys), keys, asked)
    except ModelUnavailable as exc:
        _count_usage(db, note, room, model.name, asked)
        if note.attempts >= JOB_ATTEMPTS:
            return _fail(db, note, room, "model_unavailable", f"The model could not be reached ({exc}).")
        note.status, note.lease_until = NoteStatus.PENDING, None
        db.commit()
        raise
    except ModelRefused as exc:
        _count_usage(db, note, room, model.name, asked)
        return _fail(db, note, room, "model_refused", f"The model refused the request ({exc}).")
    _count_usage(db, note, room, model.name, asked)
    note.model, note.tokens_input, note.tokens_output = model.name, asked.tokens_input, asked.tokens_output
    if asked.statements is None:
        return _fail(
            db, note, room, "malformed_answer", f"No valid answer after {asked.calls} tries: {asked.reason}."
        )
    _store_draft(db, note, room, asked.statements, {line.id: line.text for line in lines})
    return "drafted"


@dataclass
class Answers:
    """What the model's calls for one note gave: the statements of each section once an answer was
    well formed, the last malformed answer's reason, and what the calls consumed."""

    statements: dict | None = None
    reason: str = ""
    calls: int = 0
    tokens_input: int = 0
    tokens_output: int = 0


def ask_for_statements(
    model: NoteModel, messages: list[dict], schema: dict, keys: list[str], asked: Answers
) -> None:
    """Asks until an answer is well formed, ANSWER_TRIES calls at most; `asked` keeps the count."""
    for _ in range(ANSWER_TRIES):
        completion = model.complete(messages=messages, schema=schema)
        asked.calls += 1
        asked.tokens_input += completion.prompt_tokens
        asked.tokens_output += completion.completion_tokens
        try:
            asked.statements = parse_answer(completion.content, keys)
            return
        except MalformedAnswer as exc:
            asked.reason = exc.reason
            logger.warning("malformed note answer", extra={"reason": exc.reason, "call": asked.calls})


def _store_draft(db: Session, note: VisitNote, room: Room, statements: dict, lines: dict[int, str]) -> None:
    sections, unsupported, count = [], 0, 0
    for section in note.template_sections:
        drafted = []
        for statement in statements[section["key"]]:
            check = check_evidence(statement.text, statement.evidence, lines)
            unsupported += check.support == "unsupported"
            count += 1
            drafted.append(
                {
                    "id": uuid.uuid4().hex[:12],
                    "text": statement.text,
                    "evidence": check.evidence,
                    "rejected_evidence": check.rejected_evidence,
                    "support": check.support,
                }
            )
        sections.append({"key": section["key"], "title": section["title"], "statements": drafted})
    at = datetime.now(UTC)
    note.sections, note.status, note.lease_until, note.drafted_at = sections, NoteStatus.DRAFT, None, at
    note.failure_code = note.failure_reason = None
    data = {"note_id": note.id, "version": note.version, "statements": count, "unsupported": unsupported}
    append_room_event(db=db, room_id=room.id, event_name=RoomEventName.NOTE_DRAFTED, data=data)
    outbox.emit(db=db, entity_id=room.entity_id, type=EventType.NOTE_READY, data={"room_id": room.id, **data})
    db.commit()


def _fail(db: Session, note: VisitNote, room: Room, code: str, reason: str) -> str:
    note.status, note.lease_until, note.failure_code, note.failure_reason = (
        NoteStatus.FAILED,
        None,
        code,
        reason,
    )
    data = {"note_id": note.id, "version": note.version, "code": code}
    append_room_event(db=db, room_id=room.id, event_name=RoomEventName.NOTE_FAILED, data=data)
    append_agent_event(
        db=db,
        room_id=room.id,
        event_name=AgentEventName.AGENT_ERROR,
        participant_id=_agent_participant(db, room.id) or 0,
        content="Drafting the visit note failed.",
        metadata={"note_id": note.id, "code": code, "reason": reason, "attempts": note.attempts},
    )
    outbox.emit(
        db=db, entity_id=room.entity_id, type=EventType.NOTE_FAILED, data={"room_id": room.id, **data}
    )
    db.commit()
    logger.warning("note drafting failed", extra={"note_id": note.id, "code": code})
    return "failed"


def _agent_participant(db: Session, room_id: str) -> int | None:
    """The room's agent, as its usage rows name it (a room the agent never joined has none)."""
    return db.scalars(
        select(AgentUsage.participant_id)
        .where(AgentUsage.room_id == room_id)
        .order_by(AgentUsage.session_start.desc())
        .limit(1)
    ).first()


def _count_usage(db: Session, note: VisitNote, room: Room, model: str, asked: Answers) -> None:
    """The job's tokens and cost, as a usage row of the room's agent (billed with the visit)."""
    participant_id = _agent_participant(db, room.id)
    if asked.calls == 0 or participant_id is None:
        return
    at = datetime.now(UTC)
    db.add(
        AgentUsage(
            room_id=room.id,
            participant_id=participant_id,
            entity_id=room.entity_id,
            department_id=room.department_id,
            session_start=at,
            session_end=at,
            data={
                "kind": NOTE_DRAFT_USAGE,
                "note_id": note.id,
                "model": model,
                "total_tokens_input": asked.tokens_input,
                "total_tokens_output": asked.tokens_output,
                "interactions_count": asked.calls,
                "cost_estimate": token_cost(
                    model, tokens_input=asked.tokens_input, tokens_output=asked.tokens_output
                ),
            },
        )
    )
    db.flush()
