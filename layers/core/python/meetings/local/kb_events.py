"""`make run`: the local S3 endpoint sends no ObjectCreated events, so a poller stands in for them.

Every few seconds it lists `kb/` in the knowledge-base bucket and hands each new or changed object
to the same ingestion service the kb-ingest Lambda calls.
"""

import threading

from meetings.log import logger

POLL_SECONDS = 2.0


def ingest_new_objects(*, bucket: str, seen: dict[str, str]) -> list[str]:
    """Ingests every `kb/` object whose ETag was not seen yet; returns the keys it processed."""
    from meetings.db import session_factory
    from meetings.manager.knowledge.ingest import KB_PREFIX, ingest_s3_object
    from meetings.storage import s3_client

    processed = []
    for page in s3_client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=KB_PREFIX):
        for item in page.get("Contents", []):
            key, etag = item["Key"], item["ETag"]
            if seen.get(key) == etag:
                continue
            seen[key] = etag
            try:
                with session_factory()() as db:
                    outcome = ingest_s3_object(db=db, bucket=bucket, key=key)
                    db.commit()
            except Exception:  # one bad object must not stop the poller
                logger.exception("local knowledge ingestion failed", extra={"key": key})
                continue
            logger.info("local knowledge ingestion", extra={"key": key, "status": outcome.status})
            processed.append(key)
    return processed


def start_kb_ingest_poller(
    *, bucket: str | None = None, interval: float = POLL_SECONDS, stop: threading.Event | None = None
) -> threading.Thread:
    """Starts the background poller (a daemon thread); set `stop` to end it."""
    from meetings.settings import get_settings

    bucket = bucket or get_settings().kb_bucket
    stop = stop or threading.Event()
    seen: dict[str, str] = {}

    def poll() -> None:
        while not stop.is_set():
            try:
                ingest_new_objects(bucket=bucket, seen=seen)
            except Exception:
                logger.exception("listing the knowledge-base bucket failed")
            stop.wait(interval)

    thread = threading.Thread(target=poll, name="kb-ingest-poller", daemon=True)
    thread.start()
    return thread
