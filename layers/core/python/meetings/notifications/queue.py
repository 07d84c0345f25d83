"""The SQS hand-over between the sweep and the dispatchers: messages carry (delivery id, lease token)
pairs, never payloads. A message lost or sent twice costs nothing: the database holds each delivery,
an unsent lease expires and is swept again, and a stale token is refused by `dispatch.claim_queued`.
The sweep's side, here, loads none of a delivery's sending; the dispatcher's side is
`dispatch.dispatch_message`."""

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from meetings.log import logger
from meetings.notifications.leases import QUEUE_LEASE, lease_due

DELIVERIES_PER_MESSAGE = 10  # all sent in parallel by one dispatcher invocation, well inside its lease
MESSAGES_PER_CALL = 10  # the SendMessageBatch limit
SWEEP_BATCH = 500
SWEEP_IDLE_SECONDS = 2.0


@dataclass
class SweepReport:
    rounds: int = 0
    queued: int = 0


def encode(leases: list[tuple[uuid.UUID, uuid.UUID]]) -> str:
    return json.dumps({"deliveries": [[str(delivery), str(token)] for delivery, token in leases]})


def decode(body: str) -> list[tuple[uuid.UUID, uuid.UUID]]:
    return [(uuid.UUID(delivery), uuid.UUID(token)) for delivery, token in json.loads(body)["deliveries"]]


def sweep_once(*, db: Session, sqs, queue_url: str, limit: int = SWEEP_BATCH) -> int:
    """Leases due deliveries for the queue (committed first), then sends their ids; returns how many."""
    leases = lease_due(db=db, limit=limit, lease=QUEUE_LEASE)
    db.commit()
    messages = [leases[i : i + DELIVERIES_PER_MESSAGE] for i in range(0, len(leases), DELIVERIES_PER_MESSAGE)]
    for start in range(0, len(messages), MESSAGES_PER_CALL):
        entries = [
            {"Id": str(index), "MessageBody": encode(message)}
            for index, message in enumerate(messages[start : start + MESSAGES_PER_CALL])
        ]
        answer = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        if answer.get("Failed"):
            # Their leases expire and the next sweep queues them again.
            logger.warning("webhook deliveries not queued", extra={"failed": len(answer["Failed"])})
    return len(leases)


def sweep(
    *,
    db: Session,
    sqs,
    queue_url: str,
    keep_going: Callable[[], bool],
    idle_seconds: float = SWEEP_IDLE_SECONDS,
) -> SweepReport:
    """Sweeps until `keep_going()` says stop, pausing only when a round found nothing."""
    report = SweepReport()
    while keep_going():
        queued = sweep_once(db=db, sqs=sqs, queue_url=queue_url)
        report.rounds += 1
        report.queued += queued
        if queued < SWEEP_BATCH:
            time.sleep(idle_seconds)
    return report
