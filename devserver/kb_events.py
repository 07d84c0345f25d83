"""`make run`: every few seconds, new or changed objects under `kb/` go to the same ingestion service
the kb-ingest Lambda calls (see devserver.s3_events)."""

import threading

from devserver.s3_events import ObjectMarker, mark_seen, start_poller, unseen_objects
from meetings.log import failure, logger

POLL_SECONDS = 2.0


def ingest_new_objects(*, bucket: str, seen: set[ObjectMarker]) -> list[str]:
    """Ingests every `kb/` object not seen yet; returns the keys it processed."""
    from meetings.db import session_factory
    from meetings.db_scope import set_db_scope
    from meetings.manager.knowledge.ingest import KB_PREFIX, ingest_s3_object

    processed = []
    for item in unseen_objects(bucket=bucket, prefix=KB_PREFIX, seen=seen):
        key = item["Key"]
        try:
            with set_db_scope(session_factory()(), "jobs") as db:
                outcome = ingest_s3_object(db=db, bucket=bucket, key=key)
                db.commit()
        except Exception as exc:  # one object's trouble must not hold up the others; it is retried next round
            logger.error("local knowledge ingestion failed", extra={"key": key, **failure(exc)})
            continue
        mark_seen(seen, item)
        logger.info("local knowledge ingestion", extra={"key": key, "status": outcome.status})
        processed.append(key)
    return processed


def start_kb_ingest_poller(
    *, bucket: str | None = None, interval: float = POLL_SECONDS, stop: threading.Event | None = None
) -> threading.Thread:
    """Starts the background poller (a daemon thread); set `stop` to end it."""
    from meetings.settings import get_settings

    bucket = bucket or get_settings().kb_bucket
    seen: set[ObjectMarker] = set()
    return start_poller(
        name="kb-ingest-poller",
        interval=interval,
        each_round=lambda: ingest_new_objects(bucket=bucket, seen=seen),
        stop=stop or threading.Event(),
    )
