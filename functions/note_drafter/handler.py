"""Note drafter Lambda: SQS messages (one note id each, sent when a room ends) → the drafting job; and an
EventBridge schedule (every five minutes) → notes a lost message left pending, or whose job died, are
queued again.

An unreachable model raises: the message returns to the queue and is retried (five receives, then the
dead-letter queue, which raises an alarm). The job itself is idempotent per note.
"""

from meetings.init_phase import collector_paused

with collector_paused():
    from datetime import timedelta

    from aws_lambda_powertools.utilities.typing import LambdaContext

    from meetings.db import session_factory
    from meetings.db_scope import set_db_scope
    from meetings.log import logger, raises_without_values
    from meetings.secretary.notes import queue
    from meetings.secretary.notes.drafting import draft_note, waiting_note_ids
    from meetings.secretary.notes.llm import note_model
    from meetings.settings import get_settings

# A pending note older than this lost its message (the hand-over is sent right after the commit).
HAND_OVER_GRACE = timedelta(minutes=2)


@logger.inject_lambda_context
@raises_without_values
def handler(event: dict, context: LambdaContext) -> dict:
    if "Records" in event:
        return _draft(event)
    return _sweep()


def _draft(event: dict) -> dict:
    from aws_lambda_powertools.utilities.data_classes import SQSEvent

    outcomes: dict[str, int] = {}
    model = note_model(get_settings())
    with set_db_scope(session_factory()(), "jobs") as db:
        for record in SQSEvent(event).records:
            outcome = draft_note(db=db, note_id=queue.decode(record.body), model=model)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def _sweep() -> dict:
    from datetime import UTC, datetime

    with set_db_scope(session_factory()(), "jobs") as db:
        note_ids = waiting_note_ids(db=db, older_than=HAND_OVER_GRACE, now=datetime.now(UTC))
        db.commit()
    queue.send(note_ids)
    return {"queued": len(note_ids)}
