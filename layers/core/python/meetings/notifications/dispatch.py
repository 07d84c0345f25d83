"""The dispatcher: lease due deliveries, sign and send them, record every attempt, schedule retries.

A delivery is leased (a token and an expiry, committed) before it is sent and acknowledged only after
the endpoint answered, by a write that names the token. A dispatcher that dies in between leaves the
lease to expire: the next pass sends the delivery again, with the same `webhook-id`. Rows are leased
with FOR UPDATE SKIP LOCKED, so concurrent dispatchers never take the same delivery.
"""

import json
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import Uuid
from standardwebhooks import Webhook

from meetings.log import logger
from meetings.notifications import transport
from meetings.notifications.leases import DUE, NEW_LEASE, SEND_LEASE
from meetings.notifications.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, webhook_id
from meetings.notifications.queue import DELIVERIES_PER_MESSAGE, decode
from meetings.notifications.schedule import next_delay
from meetings.settings import get_settings

GONE = 410

_LEASE_COLUMNS = """
    d.id, d.lease_token, d.attempts, m.id AS message_id, m.type, m.data, m.occurred_at,
    e.url, e.secret, e.previous_secret, e.previous_secret_expires_at
"""
_CLAIM_DUE = text(
    f"""
    WITH due AS ({DUE})
    UPDATE webhook_deliveries d SET {NEW_LEASE}
    FROM due, webhook_messages m, webhook_endpoints e
    WHERE d.id = due.id AND m.id = d.message_id AND e.id = d.endpoint_id
    RETURNING {_LEASE_COLUMNS}
    """
)
_CLAIM_QUEUED = text(
    f"""
    UPDATE webhook_deliveries d SET {NEW_LEASE}
    FROM unnest(:ids, :tokens) AS queued(id, token), webhook_messages m, webhook_endpoints e
    WHERE d.id = queued.id AND d.lease_token = queued.token AND d.status = 'PENDING' AND e.enabled
      AND m.id = d.message_id AND e.id = d.endpoint_id
    RETURNING {_LEASE_COLUMNS}
    """
).bindparams(bindparam("ids", type_=ARRAY(Uuid)), bindparam("tokens", type_=ARRAY(Uuid)))


@dataclass(frozen=True)
class Claim:
    """A leased delivery with everything needed to send it."""

    delivery_id: uuid.UUID
    lease_token: uuid.UUID
    attempt: int
    url: str
    webhook_id: str
    body: bytes
    secrets: tuple[str, ...]


@dataclass
class DispatchReport:
    claimed: int = 0
    succeeded: int = 0
    failed: int = 0


def payload(*, type: str, occurred_at: datetime, data: dict) -> bytes:
    """The Standard Webhooks body: the type, when it happened, and ids only."""
    timestamp = occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return json.dumps({"type": type, "timestamp": timestamp, "data": data}, separators=(",", ":")).encode()


def _claim(row, now: datetime) -> Claim:
    secrets = [row.secret]
    if row.previous_secret and row.previous_secret_expires_at and row.previous_secret_expires_at > now:
        secrets.append(row.previous_secret)
    return Claim(
        delivery_id=row.id,
        lease_token=row.lease_token,
        attempt=row.attempts + 1,
        url=row.url,
        webhook_id=webhook_id(row.message_id),
        body=payload(type=row.type, occurred_at=row.occurred_at, data=row.data),
        secrets=tuple(secrets),
    )


def claim_due(*, db: Session, limit: int, now: datetime | None = None) -> list[Claim]:
    """Leases up to `limit` due deliveries of enabled endpoints that no other dispatcher holds, for
    the time of one send (`SEND_LEASE`)."""
    now = now or datetime.now(UTC)
    rows = db.execute(_CLAIM_DUE, {"now": now, "limit": limit, "lease": SEND_LEASE})
    return [_claim(row, now) for row in rows]


def claim_queued(
    *, db: Session, leases: list[tuple[uuid.UUID, uuid.UUID]], now: datetime | None = None
) -> list[Claim]:
    """Takes over the deliveries a sweep queued, each only if its lease is still the one queued."""
    if not leases:
        return []
    now = now or datetime.now(UTC)
    rows = db.execute(
        _CLAIM_QUEUED,
        {
            "now": now,
            "lease": SEND_LEASE,
            "ids": [delivery for delivery, _ in leases],
            "tokens": [token for _, token in leases],
        },
    )
    return [_claim(row, now) for row in rows]


def signed_headers(claim: Claim, at: datetime | None = None) -> dict[str, str]:
    """webhook-id, webhook-timestamp and one v1 signature per signing secret, as Standard Webhooks says."""
    at = at or datetime.now(UTC)
    body = claim.body.decode()
    signatures = " ".join(Webhook(secret).sign(claim.webhook_id, at, body) for secret in claim.secrets)
    return {
        "webhook-id": claim.webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }


def send(claim: Claim) -> transport.SendResult:
    """Signs the delivery now and POSTs it (the signature's timestamp is this attempt's)."""
    return transport.post(
        claim.url,
        claim.body,
        signed_headers(claim),
        allow_loopback=get_settings().webhooks_allow_loopback,
    )


def send_all(claims: list[Claim], *, workers: int = 8) -> list[transport.SendResult]:
    """Sends concurrently (each send waits on the network, not the CPU); results in claim order."""
    if len(claims) <= 1 or workers <= 1:
        return [send(claim) for claim in claims]
    with ThreadPoolExecutor(max_workers=min(workers, len(claims))) as pool:
        return list(pool.map(send, claims))


def record_results(
    *,
    db: Session,
    claims: list[Claim],
    results: list[transport.SendResult],
    now: datetime | None = None,
) -> DispatchReport:
    """Writes each attempt and moves its delivery on: done, due again later, or failed for good."""
    now = now or datetime.now(UTC)
    report = DispatchReport(claimed=len(claims))
    if not claims:
        return report
    db.execute(
        insert(WebhookAttempt),
        [
            {
                "delivery_id": claim.delivery_id,
                "attempted_at": now,
                "succeeded": result.succeeded,
                "response_status": result.status,
                "duration_ms": result.duration_ms,
                "error": result.error or (None if result.succeeded else f"http_{result.status}"),
            }
            for claim, result in zip(claims, results, strict=True)
        ],
    )
    succeeded = [claim for claim, result in zip(claims, results, strict=True) if result.succeeded]
    report.succeeded = len(succeeded)
    report.failed = len(claims) - len(succeeded)
    if succeeded:
        db.execute(
            text(
                """
                UPDATE webhook_deliveries d
                SET status = 'SUCCEEDED', attempts = attempts + 1, completed_at = :now,
                    lease_token = NULL, lease_expires_at = NULL
                FROM unnest(:ids, :tokens) AS done(id, token)
                WHERE d.id = done.id AND d.lease_token = done.token
                """
            ).bindparams(bindparam("ids", type_=ARRAY(Uuid)), bindparam("tokens", type_=ARRAY(Uuid))),
            {
                "now": now,
                "ids": [claim.delivery_id for claim in succeeded],
                "tokens": [claim.lease_token for claim in succeeded],
            },
        )
    for claim, result in zip(claims, results, strict=True):
        if not result.succeeded:
            _record_failure(db, claim, result, now)
    db.flush()
    return report


def _record_failure(db: Session, claim: Claim, result: transport.SendResult, now: datetime) -> None:
    delay = None if result.status == GONE else next_delay(claim.attempt)
    row = db.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == claim.delivery_id, WebhookDelivery.lease_token == claim.lease_token)
        .values(
            attempts=WebhookDelivery.attempts + 1,
            status="PENDING" if delay is not None else "FAILED",
            next_attempt_at=now + delay if delay is not None else WebhookDelivery.next_attempt_at,
            completed_at=None if delay is not None else now,
            lease_token=None,
            lease_expires_at=None,
        )
        .returning(WebhookDelivery.endpoint_id, WebhookDelivery.created_at)
    ).one_or_none()
    if row is None or delay is not None:
        return  # acknowledged by someone else after our lease expired, or due again later
    if result.status == GONE:
        disable_endpoint(db=db, endpoint_id=row.endpoint_id, reason="endpoint_gone", now=now)
    elif not _succeeded_since(db, row.endpoint_id, row.created_at):
        disable_endpoint(db=db, endpoint_id=row.endpoint_id, reason="retries_exhausted", now=now)


def _succeeded_since(db: Session, endpoint_id: int, since: datetime) -> bool:
    return (
        db.execute(
            select(WebhookAttempt.id)
            .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
            .where(
                WebhookDelivery.endpoint_id == endpoint_id,
                WebhookAttempt.succeeded,
                WebhookAttempt.attempted_at >= since,
            )
            .limit(1)
        ).first()
        is not None
    )


def disable_endpoint(*, db: Session, endpoint_id: int, reason: str | None, now: datetime) -> None:
    """Turns an endpoint off (with the platform's reason, if it was the platform) and cancels its queue."""
    changed = db.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.enabled)
        .values(enabled=False, disabled_reason=reason, disabled_at=now)
        .returning(WebhookEndpoint.entity_id)
    ).one_or_none()
    db.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == "PENDING")
        .values(status="CANCELED", completed_at=now, lease_token=None, lease_expires_at=None),
        execution_options={"synchronize_session": False},
    )
    if changed is not None and reason is not None:
        logger.warning(
            "webhook endpoint disabled",
            extra={"endpoint_id": endpoint_id, "entity_id": changed.entity_id, "reason": reason},
        )


def dispatch_due(
    *,
    db: Session,
    limit: int = 100,
    workers: int = 8,
    now: Callable[[], datetime] | None = None,
) -> DispatchReport:
    """One pass: lease (committed), send, record (committed). `now` lets tests move the clock."""
    clock = now or (lambda: datetime.now(UTC))
    claims = claim_due(db=db, limit=limit, now=clock())
    db.commit()
    if not claims:
        return DispatchReport()
    results = send_all(claims, workers=workers)
    report = record_results(db=db, claims=claims, results=results, now=clock())
    db.commit()
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
