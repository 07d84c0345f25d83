"""Which deliveries are due, and how one is leased: a token and an expiry, committed before anyone
sends it. The sweep leases due ids here and queues them, loading nothing of a delivery's sending (its
models, the signer, HTTP), which the dispatcher loads (`dispatch.py`)."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

# Covers the 15 s exchange with room to spare; a lease that outlives its dispatcher frees the delivery.
SEND_LEASE = timedelta(seconds=60)
# The sweep's lease covers the time a delivery waits in the queue before a dispatcher takes it.
QUEUE_LEASE = timedelta(minutes=3)

# Pending deliveries of enabled endpoints, due and held by no lease, oldest first, locked with
# SKIP LOCKED so that concurrent passes never take the same delivery.
DUE = """
    SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
    WHERE d.status = 'PENDING' AND d.next_attempt_at <= :now
      AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= :now) AND e.enabled
    ORDER BY d.next_attempt_at
    LIMIT :limit
    FOR UPDATE OF d SKIP LOCKED
"""
NEW_LEASE = "lease_token = gen_random_uuid(), lease_expires_at = :now + :lease"

_LEASE_DUE = text(
    f"""
    WITH due AS ({DUE})
    UPDATE webhook_deliveries d SET {NEW_LEASE}
    FROM due WHERE d.id = due.id
    RETURNING d.id, d.lease_token
    """
)


def lease_due(
    *, db: Session, limit: int, lease: timedelta, now: datetime | None = None
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Leases up to `limit` due deliveries; their (delivery id, lease token) pairs."""
    rows = db.execute(_LEASE_DUE, {"now": now or datetime.now(UTC), "limit": limit, "lease": lease})
    return [(row.id, row.lease_token) for row in rows]
