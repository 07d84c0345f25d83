"""Handing a pending note to the drafting job once the transaction that asked for it has committed:
an SQS message on AWS (NOTE_QUEUE_URL), the local runner under `make run`. A message lost before it is
sent costs a delay, not the note: the drafting job's scheduled sweep picks up notes left pending."""

import json
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

from meetings.log import failure, logger
from meetings.settings import get_settings

_local_runner: Callable[[int], None] | None = None
_PENDING, _LISTENING = "notes_to_hand_over", "notes_hand_over_listening"


def use_local_runner(runner: Callable[[int], None] | None) -> None:
    """Development: run the drafting job in this process (devserver) instead of queueing it."""
    global _local_runner
    _local_runner = runner


def encode(note_id: int) -> str:
    return json.dumps({"note_id": note_id})


def decode(body: str) -> int:
    note_id = json.loads(body)["note_id"]
    if not isinstance(note_id, int) or isinstance(note_id, bool):
        raise ValueError("note_id must be an integer")
    return note_id


def send(note_ids: list[int]) -> None:
    """Sends the notes to the drafting job now (on a committed transaction)."""
    settings = get_settings()
    if settings.note_queue_url:
        import boto3

        sqs = boto3.client("sqs", region_name=settings.aws_region)
        for note_id in note_ids:
            try:
                sqs.send_message(QueueUrl=settings.note_queue_url, MessageBody=encode(note_id))
            except Exception as exc:  # the sweep sends it later
                logger.error("note not queued", extra={"note_id": note_id, **failure(exc)})
    elif _local_runner is not None:
        for note_id in note_ids:
            _local_runner(note_id)


def hand_over_after_commit(db: Session, note_id: int) -> None:
    """Sends the note once the session's transaction commits (never for a rolled-back one)."""
    if not db.info.get(_LISTENING):
        event.listen(db, "after_commit", _after_commit)
        event.listen(db, "after_rollback", _after_rollback)
        db.info[_LISTENING] = True
    db.info.setdefault(_PENDING, []).append(note_id)


def _after_commit(db: Session) -> None:
    note_ids = db.info.pop(_PENDING, [])
    if note_ids:
        send(note_ids)


def _after_rollback(db: Session) -> None:
    db.info.pop(_PENDING, None)
