"""The agent's database access against the real test PostgreSQL: every call bounded in time, independent
calls side by side, a full event buffer that reports what it could not keep, and registration at job
start retried while the database is unreachable."""

import asyncio
import socket
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from agent_container.meeting_agent.events import EventLog
from agent_container.meeting_agent.store import Store, agent_engine
from meetings.secretary.events.models import AgentEventName, AgentSessionEvent


@pytest.fixture
def silent_proxy():
    """A TCP server that accepts connections and never answers: an unreachable database behind a proxy."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"postgresql+psycopg://agent:secret@127.0.0.1:{server.getsockname()[1]}/meetings"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def store_on(engine, **options) -> Store:
    @contextmanager
    def scope():
        with Session(bind=engine, expire_on_commit=False) as session:
            yield session

    return Store(scope, **options)


async def test_a_database_that_never_answers_fails_the_call_within_the_connect_timeout(silent_proxy):
    engine = agent_engine(silent_proxy, connect_timeout=1)
    store = store_on(engine)
    try:
        with pytest.raises(OperationalError):
            # the guard only keeps a regression from hanging the suite; the timeout is the engine's
            await asyncio.wait_for(store.run(lambda db: db.execute(text("SELECT 1"))), timeout=20)
    finally:
        engine.dispose()


async def test_a_statement_that_runs_too_long_is_cancelled(database_url):
    engine = agent_engine(database_url)
    store = store_on(engine, statement_timeout_ms=200)
    try:
        with pytest.raises(OperationalError, match="statement timeout"):
            await store.run(lambda db: db.execute(text("SELECT pg_sleep(5)")))
        assert await store.run(lambda db: db.execute(text("SELECT 1")).scalar()) == 1
    finally:
        engine.dispose()


async def test_a_slow_call_does_not_hold_up_the_others(database_url):
    engine = agent_engine(database_url)
    store = store_on(engine)
    release = threading.Event()
    try:
        slow = asyncio.create_task(store.run(lambda db: release.wait(10)))
        # answered while the slow unit of work still holds its connection
        assert await asyncio.wait_for(store.run(lambda db: db.execute(text("SELECT 2")).scalar()), 5) == 2
        assert not slow.done()
        release.set()
        assert await slow is True
    finally:
        release.set()
        engine.dispose()


async def test_a_full_event_buffer_reports_what_it_dropped_once_the_database_is_back(meeting_setup, store):
    db = meeting_setup.db
    room_id = meeting_setup.room.id
    agent_participant = meeting_setup.professional.participant_id  # any participant row will do
    healthy = store.session_scope

    @contextmanager
    def unreachable():
        raise OperationalError("connect", {}, Exception("connection refused"))
        yield

    log = EventLog(store, room_id, agent_participant, capacity=3)
    store.session_scope = unreachable
    for n in range(6):
        await log.record(AgentEventName.TRANSCRIPTION_PROCESSED, content=f"line {n}")
    assert len(log.pending) == 3

    store.session_scope = healthy
    assert await log.flush()

    rows = db.scalars(
        select(AgentSessionEvent).where(AgentSessionEvent.room_id == room_id).order_by(AgentSessionEvent.id)
    ).all()
    assert [r.data["content"] for r in rows[:3]] == [
        "line 0",
        "database failed: the database could not be reached",  # the outage, queued with the events
        "line 1",
    ]
    report = rows[3]
    assert report.event_name == AgentEventName.AGENT_ERROR.value
    assert report.data["metadata"]["stage"] == "database"
    assert report.data["metadata"]["dropped"] == {AgentEventName.TRANSCRIPTION_PROCESSED.value: 4}
    assert len(rows) == 4
    assert log.pending == type(log.pending)() and not log.dropped


async def test_the_statement_timeout_holds_for_the_unit_of_work_only(database_url):
    engine = agent_engine(database_url)
    store = store_on(engine, statement_timeout_ms=1234)
    try:
        assert await store.run(lambda db: db.execute(text("SHOW statement_timeout")).scalar()) == "1234ms"
        with engine.connect() as connection:  # the pooled connection the unit of work used
            assert connection.execute(text("SHOW statement_timeout")).scalar() == "0"
    finally:
        engine.dispose()


async def test_an_event_the_database_refuses_is_dropped_and_holds_back_nothing(meeting_setup, store, caplog):
    from meetings.secretary.participants.models import ParticipantType
    from meetings.secretary.transcripts.models import TranscriptSegment

    db, room_id = meeting_setup.db, meeting_setup.room.id
    speaker = meeting_setup.client.participant_id

    def segment(words: str, confidence: float) -> dict:
        return {
            "participant_id": speaker,
            "speaker_name": "Bruno",
            "speaker_type": ParticipantType.CLIENT,
            "start_seconds": 1.0,
            "end_seconds": 2.0,
            "text": words,
            "confidence": confidence,
        }

    log = EventLog(store, room_id, meeting_setup.professional.participant_id)
    lines = ["before it", "my chest hurts when I climb stairs", "after it"]
    for line, confidence in zip(lines, (0.9, 1.7, 0.8), strict=True):  # 1.7: outside the CHECK's range
        await log.record(
            AgentEventName.TRANSCRIPTION_PROCESSED,
            content=line,
            segment=segment(line, confidence),
            defer=True,
        )
    assert await log.flush()
    assert await log.flush()  # nothing is left to retry

    contents = [
        r.data["content"]
        for r in db.scalars(
            select(AgentSessionEvent)
            .where(AgentSessionEvent.room_id == room_id)
            .order_by(AgentSessionEvent.id)
        )
    ]
    assert contents == ["before it", "after it", "database failed: 1 events could not be kept"]
    stored = db.scalars(select(TranscriptSegment.text).where(TranscriptSegment.room_id == room_id)).all()
    assert sorted(stored) == ["after it", "before it"]
    assert not log.pending and not log.dropped
    refused = [record for record in caplog.records if record.getMessage().startswith("agent event refused")]
    assert [record.constraint for record in refused] == ["ck_transcript_segments_confidence_range"]
    assert any(where.startswith("events.py:") for where in refused[0].where)
    logged = " ".join(str(record.__dict__) for record in caplog.records)
    assert "chest hurts" not in logged  # the refused row's DETAIL stays out of the log
