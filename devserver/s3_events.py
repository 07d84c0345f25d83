"""`make run`'s stand-in for S3 ObjectCreated notifications, which the local endpoint does not send: a
background thread lists a prefix every few seconds and hands new objects to the same code the
S3-triggered Lambda runs. An object counts as seen once handled; a round that fails is retried."""

import threading
from collections.abc import Callable

from meetings.log import failure, logger

ObjectMarker = tuple[str, str]  # (key, ETag): a new upload under the same key is a new object


def unseen_objects(*, bucket: str, prefix: str, seen: set[ObjectMarker]) -> list[dict]:
    """The objects under `prefix` not handled yet, as S3 lists them (Key, ETag, Size...)."""
    from meetings.storage import s3_client

    return [
        item
        for page in s3_client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for item in page.get("Contents", [])
        if (item["Key"], item["ETag"]) not in seen
    ]


def mark_seen(seen: set[ObjectMarker], item: dict) -> None:
    seen.add((item["Key"], item["ETag"]))


def start_poller(
    *, name: str, interval: float, each_round: Callable[[], object], stop: threading.Event
) -> threading.Thread:
    """Runs `each_round` every `interval` seconds on a daemon thread until `stop` is set."""

    def loop() -> None:
        while not stop.is_set():
            try:
                each_round()
            except Exception as exc:  # a local job keeps going; the next round retries
                logger.error("local S3 job failed", extra={"job": name, **failure(exc)})
            stop.wait(interval)

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread
