"""Retention purge of 20,000 due recordings against a local S3 endpoint (moto server on 127.0.0.1).

Compares the purge as built (one DeleteObjects call per 1,000 keys) with the same purge deleting one
object per DeleteObject call, and counts the SQL round trips of each batch. The per-key variant runs on
a smaller sample (its rate does not depend on the total); both rates are recordings per second, end to
end (lock the batch, delete, mark PURGED, commit). Objects are seeded straight into the moto backend
(setup, not measured). A versioned bucket adds one ListObjectVersions call per room folder per batch;
that figure runs on a small sample because moto scans the whole bucket for every listing.
"""

import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/support.py, when run as a script

from support import bench_database, bench_session, report  # noqa: E402

TOTAL = 20_000
PER_KEY_SAMPLE = 2_000
# moto answers ListObjectVersions by scanning the whole bucket, so the versioned figure uses a small sample.
VERSIONED_SAMPLE = 400
RECORDINGS_PER_ROOM = 4  # one recording and up to three retries per meeting
BUCKET = "bench-recordings"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seed(db, bucket: str, count: int) -> list[str]:
    """Inserts `count` recordings already due (created 31 days ago, 30-day retention); returns their keys."""
    from sqlalchemy import text

    rooms = max(1, count // RECORDINGS_PER_ROOM)
    db.execute(
        text(
            "INSERT INTO rooms (id, livekit_room_id, title, scheduled_at, status, max_participants) "
            "SELECT 'room-' || :bucket || '-' || n, 'lk-' || :bucket || '-' || n, 'Bench', now(), 'COMPLETED', 5 "
            "FROM generate_series(1, :rooms) AS n"
        ),
        {"bucket": bucket, "rooms": rooms},
    )
    keys = (
        db.execute(
            text(
                "INSERT INTO recordings (id, room_id, livekit_egress_id, s3_bucket, s3_key, retention_days, status, created_at) "
                "SELECT id, room, 'EG_' || id, :bucket, 'recordings/independent/' || room || '/' || id || '.mp4', 30, "
                "       'READY', now() - interval '31 days' "
                "FROM (SELECT gen_random_uuid() AS id, 'room-' || :bucket || '-' || (n % :rooms + 1) AS room "
                "      FROM generate_series(1, :count) AS n) AS rows "
                "RETURNING s3_key"
            ),
            {"bucket": bucket, "rooms": rooms, "count": count},
        )
        .scalars()
        .all()
    )
    db.commit()
    return keys


def put_objects(bucket: str, keys: list[str], *, versioned: bool) -> None:
    """Creates the bucket over HTTP and its objects directly in the moto backend the server serves."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    from meetings.storage import s3_client

    s3_client().create_bucket(Bucket=bucket)
    if versioned:
        s3_client().put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    body = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 1000
    for key in keys:
        backend.put_object(bucket, key, body, disable_notification=True)


def per_key_deletes(s3, bucket: str, targets: list[dict]) -> dict[str, dict]:
    """The slow variant: one DeleteObject call per object (version)."""
    from botocore.exceptions import ClientError

    errors: dict[str, dict] = {}
    for target in targets:
        try:
            s3.delete_object(Bucket=bucket, **target)
        except ClientError as exc:
            errors.setdefault(target["Key"], {"Code": exc.response["Error"]["Code"], "Message": str(exc)})
    return errors


def run_purge(label: str, count: int, *, per_key: bool, versioned: bool = False) -> tuple[float, float]:
    """Seeds `count` due recordings, purges them all; returns (recordings per second, SQL statements per batch)."""
    from sqlalchemy import event, func, select

    from meetings.db import get_engine
    from meetings.secretary.recordings import purge
    from meetings.secretary.recordings.models import Recording
    from meetings.storage import s3_client

    bucket = f"{BUCKET}-{label}"
    with bench_session() as db:
        keys = seed(db, bucket, count)
    put_objects(bucket, keys, versioned=versioned)

    statements = 0

    def count_statement(*_args, **_kwargs) -> None:
        nonlocal statements
        statements += 1

    original = purge._delete_objects
    if per_key:
        purge._delete_objects = per_key_deletes
    event.listen(get_engine(), "before_cursor_execute", count_statement)
    try:
        with bench_session() as db:
            started = time.perf_counter()
            result = purge.purge_due_recordings(db=db, s3=s3_client())
            elapsed = time.perf_counter() - started
    finally:
        event.remove(get_engine(), "before_cursor_execute", count_statement)
        purge._delete_objects = original

    with bench_session() as db:
        left = db.execute(
            select(func.count()).where(Recording.s3_bucket == bucket, Recording.deleted_at.is_(None))
        ).scalar_one()
    remaining = s3_client().list_object_versions(Bucket=bucket).get("Versions", [])
    assert result.purged == count and not result.failures and left == 0 and not remaining, (
        result.as_dict(),
        left,
    )
    # The final empty batch (finding nothing left) is one more SELECT; count statements per real batch.
    return count / elapsed, (statements - 1) / result.batches


def main() -> None:
    from devserver.s3 import start_local_s3

    start_local_s3(free_port())
    server = start_local_s3.server
    try:
        with bench_database("meetings_bench_purge"):
            batched_rate, statements = run_purge("batched", TOTAL, per_key=False)
            per_key_rate, _ = run_purge("per-key", PER_KEY_SAMPLE, per_key=True)
            report(
                f"purge {TOTAL} due recordings, DeleteObjects of <=1000 keys",
                batched_rate,
                "recordings/s",
                floor=per_key_rate,
                floor_name=f"one DeleteObject per key ({PER_KEY_SAMPLE} sampled)",
            )
            report("purge SQL round trips per batch of 1000 (lock SELECT + UPDATE)", statements, "statements")
            versioned_rate, _ = run_purge("versioned", VERSIONED_SAMPLE, per_key=False, versioned=True)
            report(
                f"purge {VERSIONED_SAMPLE} due recordings on a versioned bucket "
                "(one ListObjectVersions per room folder; moto lists in O(bucket))",
                versioned_rate,
                "recordings/s",
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
