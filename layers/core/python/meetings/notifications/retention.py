"""The delivery log follows the entity's retention: messages older than the entity keeps recordings go,
with their deliveries and attempts (nothing still due is removed)."""

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

BATCH_SIZE = 5000

_PURGE_BATCH = text(
    """
    DELETE FROM webhook_messages WHERE id IN (
        SELECT m.id FROM webhook_messages m JOIN entities e ON e.id = m.entity_id
        WHERE m.created_at < COALESCE(CAST(:now AS timestamptz), now())
                             - make_interval(days => e.recording_retention_days)
          AND NOT EXISTS (
              SELECT 1 FROM webhook_deliveries d WHERE d.message_id = m.id AND d.status = 'PENDING'
          )
        LIMIT :limit
    )
    """
)


def purge_delivery_log(*, db: Session, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Deletes expired messages batch by batch, committing each; returns how many went."""
    purged = 0
    while True:
        deleted = db.execute(_PURGE_BATCH, {"now": now, "limit": batch_size}).rowcount
        db.commit()
        purged += deleted
        if deleted < batch_size:
            return purged
