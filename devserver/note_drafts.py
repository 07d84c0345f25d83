"""`make run`'s stand-in for the note drafter Lambda: a room's end hands its note to a worker thread
that runs the same drafting job, logged in as the jobs role; a poller picks up notes left waiting (the
model was unreachable, or the process stopped mid-job), as the Lambda's schedule does."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from devserver.s3_events import start_poller
from meetings.db_scope import set_db_scope
from meetings.log import failure, logger
from meetings.secretary.notes import queue
from meetings.secretary.notes.drafting import draft_note, waiting_note_ids
from meetings.secretary.notes.llm import ModelUnavailable, note_model
from meetings.settings import get_settings

SWEEP_EVERY_SECONDS = 30.0
RETRY_AFTER = timedelta(seconds=30)


def start_local_note_drafter(jobs_url: str, *, every: float = SWEEP_EVERY_SECONDS) -> threading.Event:
    """Routes hand-overs to a worker thread and starts the sweep; set the returned event to stop it."""
    engine = create_engine(jobs_url, pool_size=1, max_overflow=1, hide_parameters=True)
    sessions = sessionmaker(engine, expire_on_commit=False)
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="local-note-drafter")
    model = note_model(get_settings())

    def draft(note_id: int) -> None:
        with set_db_scope(sessions(), "jobs") as db:
            try:
                draft_note(db=db, note_id=note_id, model=model)
            except ModelUnavailable as exc:  # left pending; the sweep tries again
                logger.warning("note model unavailable", extra={"note_id": note_id, **failure(exc)})
            except Exception as exc:
                logger.error("local note drafting failed", extra={"note_id": note_id, **failure(exc)})

    def hand_over(note_id: int) -> None:
        worker.submit(draft, note_id)

    def sweep() -> None:
        with set_db_scope(sessions(), "jobs") as db:
            note_ids = waiting_note_ids(db=db, older_than=RETRY_AFTER, now=datetime.now(UTC))
        for note_id in note_ids:
            hand_over(note_id)

    queue.use_local_runner(hand_over)
    stop = threading.Event()
    start_poller(name="local-note-drafter", interval=every, each_round=sweep, stop=stop)
    return stop
