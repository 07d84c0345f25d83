"""The note drafting job on a 60-minute visit (1,500 segments, three speakers, one of whom refused the
assistant) with an instant model, against two floors: building the prompt and parsing the answer alone,
and the least database work a drafting job can do (the job's statements through raw psycopg, around
the same prompt, parsing and evidence check); and, as `make run` runs it, the time from a room's end to
its draft through a local OpenAI-compatible server."""

import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support import bench_database, bench_session, connect_as, median, report  # noqa: E402

SEGMENTS = 1_500
VISIT_SECONDS = 3_600
RUNS = 30
ROOMS_ENDED = 10
WORDS = (
    "the cough started two weeks ago and gets worse at night",
    "no fever but the chest hurts when coughing",
    "take ibuprofen 400 mg every eight hours for five days",
    "come back next week if the cough persists",
)


def seed_visit(owner_url: str, entity_id: int) -> tuple[str, list[int]]:
    """A running room with three consented-or-not speakers and SEGMENTS segments; returns (room, ids)."""
    import psycopg

    from meetings.secretary.consent.service import record_join_consent
    from meetings.secretary.participants.models import Participant, ParticipantType, RoomParticipant
    from meetings.secretary.rooms.models import Room, RoomStatus

    with bench_session() as db:
        room_id = str(uuid.uuid4())
        db.add(
            Room(
                id=room_id,
                livekit_room_id=f"meeting-{room_id}",
                title="Bench visit",
                entity_id=entity_id,
                max_participants=5,
                scheduled_at=datetime.now(UTC) + timedelta(minutes=5),
            )
        )
        people = [
            Participant(name="Maria", type=ParticipantType.CLIENT, phone_number="+5511999990005"),
            Participant(name="Joana", type=ParticipantType.CLIENT, phone_number="+5511999990006"),
            Participant(name="Rita", type=ParticipantType.CLIENT, phone_number="+5511999990007"),
        ]
        db.add_all(people)
        db.flush()
        for person, assistant in zip(people, (True, True, False), strict=True):
            db.add(RoomParticipant(room_id=room_id, participant_id=person.id))
            record_join_consent(
                db=db,
                room_id=room_id,
                entity_id=entity_id,
                participant_id=person.id,
                recording=True,
                assistant=assistant,
                language="en",
                client_address=None,
            )
        room = db.get(Room, room_id)
        room.status, room.started_at = RoomStatus.ACTIVE, datetime.now(UTC) - timedelta(hours=1)
        speakers = [(p.id, p.name, p.type.value) for p in people]
        db.commit()
    step = VISIT_SECONDS / SEGMENTS
    rows = [
        (room_id, *speakers[i % 3], i * step, i * step + step * 0.9, f"{WORDS[i % 4]} ({i})", "en")
        for i in range(SEGMENTS)
    ]
    with psycopg.connect(owner_url) as connection:  # the agent's rows: written as the owner
        connection.cursor().executemany(
            "INSERT INTO transcript_segments (room_id, participant_id, speaker_name, speaker_type,"
            " start_seconds, end_seconds, text, language, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, now() + interval '1 second')",
            rows,
        )
        ids = [
            row[0]
            for row in connection.execute(
                "SELECT id FROM transcript_segments WHERE room_id = %s ORDER BY id", (room_id,)
            )
        ]
    return room_id, ids


def end_room(room_id: str) -> int:
    """Ends the room as the secretary does (a pending note, handed over after the commit); its note id."""
    from sqlalchemy import select

    from meetings.secretary.notes.models import VisitNote
    from meetings.secretary.rooms.models import Room
    from meetings.secretary.rooms.service import mark_ended

    with bench_session() as db:
        mark_ended(db=db, room=db.get(Room, room_id), at=datetime.now(UTC), reason="ended_by_organizer")
        db.commit()
        return db.scalar(select(VisitNote.id).where(VisitNote.room_id == room_id))


def scripted_answer(ids: list[int]) -> dict:
    """Six statements per SOAP section, each citing two segments."""
    sections = []
    for number, key in enumerate(("subjective", "objective", "assessment", "plan")):
        statements = [
            {
                "text": WORDS[(number + k) % 4].capitalize() + ".",
                "evidence": [ids[(number * 6 + k) * 4], ids[k]],
            }
            for k in range(6)
        ]
        sections.append({"key": key, "statements": statements})
    return {"sections": sections}


class InstantModel:
    name = "instant"

    def __init__(self, content: str) -> None:
        self.content = content

    def complete(self, *, messages, schema):
        from meetings.secretary.notes.llm import Completion

        return Completion(content=self.content, prompt_tokens=30_000, completion_tokens=800)


def lines_query_in_server(jobs, room_id: str) -> float:
    """Seconds the database spends executing the consented-lines read alone (EXPLAIN ANALYZE's
    execution time, as the jobs role with its scope): a part of any drafting job that no client-side
    speed can remove."""
    from meetings.secretary.notes.drafting import _CONSENTED_LINES

    with jobs.transaction():
        jobs.execute("SELECT set_config('app.scope', 'jobs', true), set_config('app.entity_id', '', true)")
        plan = jobs.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + _CONSENTED_LINES, {"room_id": room_id})
        return plan.fetchone()[0][0]["Execution Time"] / 1000


def measure_job(
    owner_url: str, note_id: int, room_id: str, content: str
) -> tuple[float, float, float, float, float]:
    """Medians (s) of the job; of the same work with raw psycopg statements, unprepared as the services
    connect (`meetings.db.proxy_safe_connect_args`), then prepared from their fifth run as psycopg's
    defaults do; of the prompt built from the same lines with the answer parsed; and of the server's
    execution of the consented-lines read. Interleaved run by run."""
    import psycopg
    from sqlalchemy.engine import make_url

    from meetings.db import proxy_safe_connect_args
    from meetings.db_roles import JOBS_ROLE
    from meetings.secretary.notes.answer import parse_answer
    from meetings.secretary.notes.drafting import consented_lines, draft_note
    from meetings.secretary.notes.models import VisitNote
    from meetings.secretary.notes.prompt import answer_schema, build_messages
    from meetings.secretary.rooms.instructions import composed_instructions
    from meetings.secretary.rooms.models import Room

    connect_as(owner_url, JOBS_ROLE)
    jobs_url = make_url(os.environ["DATABASE_URL"]).set(drivername="postgresql").render_as_string(False)
    model = InstantModel(content)
    job, raw, prepared, floor, lines_in_server = [], [], [], [], []
    with (
        psycopg.connect(owner_url, autocommit=True) as owner,
        psycopg.connect(jobs_url, autocommit=True, **proxy_safe_connect_args()) as jobs,
        psycopg.connect(jobs_url, autocommit=True, prepare_threshold=5) as jobs_preparing,
        bench_session("jobs") as db,
    ):
        note = db.get(VisitNote, note_id)
        lines = consented_lines(db=db, room_id=room_id)
        instructions = composed_instructions(db=db, room=db.get(Room, room_id))
        keys = [section["key"] for section in note.template_sections]
        sections = note.template_sections
        assert len(lines) == SEGMENTS * 2 // 3
        db.commit()

        def pending_again() -> None:
            owner.execute(
                "UPDATE visit_notes SET status = 'pending', sections = '[]', lease_until = NULL, attempts = 0"
                " WHERE id = %s",
                (note_id,),
            )
            owner.execute(
                "DELETE FROM agent_usage WHERE room_id = %s AND data->>'kind' = 'note_draft'", (room_id,)
            )

        for run in range(RUNS + 3):
            pending_again()
            start = time.perf_counter()
            assert draft_note(db=db, note_id=note_id, model=model) == "drafted"
            job_s = time.perf_counter() - start
            pending_again()
            start = time.perf_counter()
            raw_database_job(jobs, note_id, room_id, content)
            raw_s = time.perf_counter() - start
            pending_again()
            start = time.perf_counter()
            raw_database_job(jobs_preparing, note_id, room_id, content)
            prepared_s = time.perf_counter() - start
            start = time.perf_counter()
            build_messages(
                template_name=note.template_name,
                kind=note.kind,
                sections=sections,
                instructions=instructions,
                lines=lines,
            )
            answer_schema(keys)
            parse_answer(content, keys)
            floor_s = time.perf_counter() - start
            in_server_s = lines_query_in_server(jobs, room_id)
            if run >= 3:
                job.append(job_s)
                raw.append(raw_s)
                prepared.append(prepared_s)
                floor.append(floor_s)
                lines_in_server.append(in_server_s)
        assert (
            owner.execute("SELECT status FROM visit_notes WHERE id = %s", (note_id,)).fetchone()[0] == "draft"
        )
    return median(job), median(raw), median(prepared), median(floor), median(lines_in_server)


# The job's statements, as raw psycopg makes them with no ORM: the same transactions (the lease
# committed before the model is called), the room and its instructions in one read.
SCOPE = "BEGIN; SELECT set_config('app.scope', 'jobs', true), set_config('app.entity_id', '', true)"
CLAIM = """
    UPDATE visit_notes SET status = 'drafting', lease_until = now() + interval '5 minutes',
           attempts = attempts + 1
    WHERE id = %(id)s AND (status = 'pending' OR (status = 'drafting' AND lease_until < now()))
    RETURNING id, room_id, version, template_name, kind, template_sections
"""
ROOM_AND_INSTRUCTIONS = """
    SELECT r.entity_id, e.default_instructions, d.instructions, r.custom_prompt
    FROM rooms r LEFT JOIN entities e ON e.id = r.entity_id LEFT JOIN departments d ON d.id = r.department_id
    WHERE r.id = %(id)s
"""
AGENT_PARTICIPANT = (
    "SELECT participant_id FROM agent_usage WHERE room_id = %(id)s ORDER BY session_start DESC LIMIT 1"
)
ROOM_EVENT = (
    "INSERT INTO room_events (room_id, event_name, data) VALUES (%(room_id)s, 'NOTE_DRAFTED', %(data)s)"
)
EMIT = """
    WITH targets AS (
        SELECT id FROM webhook_endpoints
        WHERE entity_id = %(entity_id)s AND enabled AND %(type)s = ANY(event_types)
    ), message AS (
        INSERT INTO webhook_messages (id, entity_id, type, data, occurred_at)
        SELECT %(id)s, %(entity_id)s, %(type)s, %(data)s, %(occurred_at)s WHERE EXISTS (SELECT 1 FROM targets)
        RETURNING id
    )
    INSERT INTO webhook_deliveries (message_id, endpoint_id, next_attempt_at)
    SELECT message.id, targets.id, now() FROM message, targets
"""
DRAFTED = """
    UPDATE visit_notes SET status = 'draft', sections = %(sections)s, lease_until = NULL, drafted_at = now(),
           model = %(model)s, tokens_input = %(tokens_input)s, tokens_output = %(tokens_output)s,
           failure_code = NULL, failure_reason = NULL
    WHERE id = %(id)s
"""


def raw_database_job(connection, note_id: int, room_id: str, content: str) -> None:
    """One drafting of the note, with the job's own prompt, parsing and evidence check, and its database
    work as raw psycopg statements."""
    from psycopg.types.json import Jsonb

    from meetings.secretary.notes.answer import parse_answer
    from meetings.secretary.notes.drafting import _CONSENTED_LINES
    from meetings.secretary.notes.evidence import check_evidence
    from meetings.secretary.notes.prompt import TranscriptLine, answer_schema, build_messages

    connection.execute(SCOPE)
    _, _, version, template_name, kind, template_sections = connection.execute(
        CLAIM, {"id": note_id}
    ).fetchone()
    entity_id, *parts = connection.execute(ROOM_AND_INSTRUCTIONS, {"id": room_id}).fetchone()
    lines = [
        TranscriptLine(*row) for row in connection.execute(_CONSENTED_LINES, {"room_id": room_id}).fetchall()
    ]
    connection.execute("COMMIT")
    instructions = "\n\n".join(part.strip() for part in parts if part and part.strip())
    keys = [section["key"] for section in template_sections]
    build_messages(
        template_name=template_name,
        kind=kind,
        sections=template_sections,
        instructions=instructions,
        lines=lines,
    )
    statements = parse_answer(content, keys)
    by_id = {line.id: line.text for line in lines}
    sections, unsupported = [], 0
    for section in template_sections:
        drafted = []
        for statement in statements[section["key"]]:
            check = check_evidence(statement.text, statement.evidence, by_id)
            unsupported += check.support == "unsupported"
            drafted.append({"text": statement.text, "evidence": check.evidence, "support": check.support})
        sections.append({"key": section["key"], "title": section["title"], "statements": drafted})
    answer_schema(keys)
    data = {
        "note_id": note_id,
        "version": version,
        "statements": sum(len(section["statements"]) for section in sections),
        "unsupported": unsupported,
    }
    connection.execute(SCOPE)
    connection.execute(AGENT_PARTICIPANT, {"id": room_id}).fetchone()
    connection.execute(ROOM_EVENT, {"room_id": room_id, "data": Jsonb(data)})
    connection.execute(
        DRAFTED,
        {
            "id": note_id,
            "sections": Jsonb(sections),
            "model": "instant",
            "tokens_input": 30_000,
            "tokens_output": 800,
        },
    )
    connection.execute(
        EMIT,
        {
            "id": uuid.uuid4(),
            "entity_id": entity_id,
            "type": "note.ready",
            "data": Jsonb({"entity_id": entity_id, "room_id": room_id, **data}),
            "occurred_at": datetime.now(UTC),
        },
    )
    connection.execute("COMMIT")


def measure_room_end_to_draft(owner_url: str, rooms: list[tuple[str, list[int]]]) -> list[float]:
    """Seconds from each room's end (committed) to its draft, with make run's in-process drafter."""
    import psycopg

    from devserver.chat_completions import ScriptedChatServer
    from devserver.note_drafts import start_local_note_drafter
    from meetings.db_roles import JOBS_ROLE, local_login_url
    from meetings.settings import get_settings

    server = ScriptedChatServer().start()
    os.environ["OPENAI_BASE_URL"] = server.base_url
    get_settings.cache_clear()
    stop = start_local_note_drafter(
        local_login_url(owner_url, JOBS_ROLE, os.environ["LOCAL_DATA_DIR"]), every=3600
    )
    latencies = []
    try:
        with psycopg.connect(owner_url, autocommit=True) as owner:
            for room_id, ids in rooms:
                server.script = [scripted_answer(ids)]
                start = time.perf_counter()
                note_id = end_room(room_id)
                while owner.execute("SELECT status FROM visit_notes WHERE id = %s", (note_id,)).fetchone()[
                    0
                ] in (
                    "pending",
                    "drafting",
                ):
                    time.sleep(0.002)
                latencies.append(time.perf_counter() - start)
    finally:
        stop.set()
        server.stop()
    return latencies


def main() -> None:
    with bench_database() as owner_url:
        from meetings.manager.entities.models import Entity

        with bench_session() as db:
            entity = Entity(
                name="Bench clinic", type="medical_clinic", default_instructions="Use metric units."
            )
            db.add(entity)
            db.commit()
            entity_id = entity.id
        room_id, ids = seed_visit(owner_url, entity_id)
        others = [seed_visit(owner_url, entity_id) for _ in range(ROOMS_ENDED)]
        note_id = end_room(room_id)
        content = json.dumps(scripted_answer(ids))
        latencies = measure_room_end_to_draft(owner_url, others)
        job_s, raw_s, prepared_s, floor_s, lines_s = measure_job(owner_url, note_id, room_id, content)

    name = f"drafting job, {SEGMENTS}-segment visit, instant model (median)"
    report(name, job_s * 1000, "ms", floor=floor_s * 1000, floor_name="prompt built and answer parsed alone")
    report(
        name,
        job_s * 1000,
        "ms",
        floor=raw_s * 1000,
        floor_name="the same work with raw psycopg statements, unprepared as the services connect",
    )
    report(
        name,
        job_s * 1000,
        "ms",
        floor=prepared_s * 1000,
        floor_name="the same raw statements, prepared server-side from their fifth run",
    )
    report(
        "raw psycopg drafting (the least database work)",
        raw_s * 1000,
        "ms",
        floor=floor_s * 1000,
        floor_name="prompt built and answer parsed alone",
    )
    # Any job costs at least the prompt floor plus this read's execution in the server; when the read
    # alone is more than half the floor, no drafting job can come within 1.5x of the floor.
    report(
        "the consented-lines read, executed in the server alone (EXPLAIN ANALYZE)",
        lines_s * 1000,
        "ms",
        floor=floor_s * 1000,
        floor_name="prompt built and answer parsed alone",
    )
    report(
        f"room end to draft under make run's drafter, local model server (median of {ROOMS_ENDED})",
        median(latencies),
        "s",
    )
    report("room end to draft, slowest", max(latencies), "s")


if __name__ == "__main__":
    main()
