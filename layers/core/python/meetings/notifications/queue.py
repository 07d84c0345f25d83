"""The SQS hand-over between the sweep and the dispatchers: messages carry (delivery id, lease token)
pairs, never payloads. A message lost or sent twice costs nothing: the database holds each delivery,
an unsent lease expires and is swept again, and a stale token is refused by `claim_queued`."""

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from meetings.log import logger
from meetings.notifications.dispatch import (
    QUEUE_LEASE,
    DispatchReport,
    claim_due,
    claim_queued,
    record_results,
    send_all,
)

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
    claims = claim_due(db=db, limit=limit, lease=QUEUE_LEASE)
    db.commit()
    leases = [(claim.delivery_id, claim.lease_token) for claim in claims]
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


def dispatch_message(*, db: Session, body: str, workers: int = DELIVERIES_PER_MESSAGE) -> DispatchReport:
    """Sends the deliveries one queue message names, if their leases are still the ones queued."""
    claims = claim_queued(db=db, leases=decode(body), now=datetime.now(UTC))
    db.commit()
    if not claims:
        return DispatchReport()
    results = send_all(claims, workers=workers)
    report = record_results(db=db, claims=claims, results=results)
    db.commit()
    return report
