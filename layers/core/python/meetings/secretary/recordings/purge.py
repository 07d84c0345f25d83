"""Retention purge: recordings past `purge_at` lose their S3 objects for good; their rows stay as the audit trail.

Each batch is one transaction: its rows are locked with FOR UPDATE SKIP LOCKED while their objects are
deleted, so two runs at the same time never take the same recording. A row whose object S3 refused to
delete stays due and is reported; the next run tries it again.
"""

import posixpath
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy import func, select, tuple_, update
from sqlalchemy.orm import Session

from meetings.log import logger
from meetings.notifications import outbox
from meetings.notifications.catalogue import EventType
from meetings.notifications.retention import purge_delivery_log
from meetings.secretary.recordings.models import Recording, RecordingStatus
from meetings.secretary.rooms.models import Room

MAX_KEYS_PER_DELETE = 1000  # the S3 DeleteObjects limit
DEFAULT_BATCH_SIZE = 1000
VERSIONED_STATES = frozenset({"Enabled", "Suspended"})  # a suspended bucket still holds old versions


@dataclass(frozen=True)
class DueRecording:
    id: object
    bucket: str
    key: str
    purge_at: datetime


@dataclass(frozen=True)
class PurgeFailure:
    recording_id: str
    bucket: str
    key: str
    code: str
    error_message: str


@dataclass
class PurgeReport:
    """What one run did: rows purged, rows left for the next run, and whether anything due is left."""

    purged: int = 0
    failures: list[PurgeFailure] = field(default_factory=list)
    batches: int = 0
    complete: bool = False  # False when the run stopped early because time ran short
    delivery_log_purged: int = 0  # webhook messages past their entity's retention

    def as_dict(self) -> dict:
        return {
            "purged": self.purged,
            "delivery_log_purged": self.delivery_log_purged,
            "failed": [failure.__dict__ for failure in self.failures],
            "batches": self.batches,
            "complete": self.complete,
        }


def purge_due_recordings(
    *,
    db: Session,
    s3,
    now: datetime | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    keep_going: Callable[[], bool] = lambda: True,
) -> PurgeReport:
    """Purges due recordings batch by batch, committing each, until none is left or `keep_going()` says stop."""
    report = PurgeReport()
    versioned: dict[str, bool] = {}
    cutoff = now if now is not None else func.now()
    after: tuple[datetime, object] | None = None
    while True:
        if not keep_going():
            logger.info("purge stopped before its time ran out", extra=report.as_dict())
            return report
        batch = select_due_batch(db=db, cutoff=cutoff, after=after, limit=batch_size)
        if not batch:
            db.commit()
            report.delivery_log_purged = purge_delivery_log(db=db, now=now)
            report.complete = True
            if report.failures:
                logger.error("purge left recordings whose objects S3 did not delete", extra=report.as_dict())
            else:
                logger.info("purge complete", extra=report.as_dict())
            return report
        failures = purge_batch(db=db, s3=s3, batch=batch, versioned=versioned)
        db.commit()
        report.batches += 1
        report.purged += len(batch) - len(failures)
        report.failures.extend(failures)
        after = (batch[-1].purge_at, batch[-1].id)


def select_due_batch(*, db: Session, cutoff, after: tuple | None, limit: int) -> list[DueRecording]:
    """Locks the next due recordings no other run holds, in purge_at order after the last batch."""
    statement = (
        select(Recording.id, Recording.s3_bucket, Recording.s3_key, Recording.purge_at)
        .where(Recording.purge_at <= cutoff, Recording.deleted_at.is_(None))
        .order_by(Recording.purge_at, Recording.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if after is not None:
        statement = statement.where(tuple_(Recording.purge_at, Recording.id) > tuple_(*after))
    return [DueRecording(*row) for row in db.execute(statement)]


def purge_batch(
    *, db: Session, s3, batch: list[DueRecording], versioned: dict[str, bool]
) -> list[PurgeFailure]:
    """Deletes the batch's objects (every version), marks the rows S3 confirmed PURGED; returns the rest."""
    failures: list[PurgeFailure] = []
    by_bucket: dict[str, list[DueRecording]] = {}
    for due in batch:
        by_bucket.setdefault(due.bucket, []).append(due)
    for bucket, recordings in by_bucket.items():
        try:
            errors = _delete_every_version(s3, bucket, {due.key for due in recordings}, versioned)
        except (BotoCoreError, ClientError) as exc:  # the bucket itself is unreachable: every key fails
            errors = {due.key: _error_of(exc) for due in recordings}
        failures.extend(
            PurgeFailure(str(due.id), bucket, due.key, errors[due.key]["Code"], errors[due.key]["Message"])
            for due in recordings
            if due.key in errors
        )
    failed_ids = {failure.recording_id for failure in failures}
    purged_ids = [due.id for due in batch if str(due.id) not in failed_ids]
    if purged_ids:
        purged = db.execute(
            update(Recording)
            .where(Recording.id.in_(purged_ids))
            .values(status=RecordingStatus.PURGED, deleted_at=func.now())
            .returning(Recording.id, Recording.room_id),
            execution_options={"synchronize_session": False},
        ).all()
        _announce_purged(db, purged)
    for failure in failures:
        logger.warning("recording object not deleted; left for the next run", extra=failure.__dict__)
    return failures


def _announce_purged(db: Session, purged: list) -> None:
    """recording.purged per recording and retention.purged per entity, for entities that listen."""
    entities = dict(
        db.execute(select(Room.id, Room.entity_id).where(Room.id.in_({row.room_id for row in purged}))).all()
    )
    listening = outbox.subscribed_entities(
        db=db, entity_ids={e for e in entities.values() if e is not None}, type=EventType.RECORDING_PURGED
    )
    counts: Counter[int] = Counter()
    for row in purged:
        entity_id = entities.get(row.room_id)
        if entity_id is None:
            continue
        counts[entity_id] += 1
        if entity_id in listening:
            outbox.emit(
                db=db,
                entity_id=entity_id,
                type=EventType.RECORDING_PURGED,
                data={"room_id": row.room_id, "recording_id": str(row.id)},
            )
    for entity_id, count in counts.items():
        outbox.emit(
            db=db,
            entity_id=entity_id,
            type=EventType.RETENTION_PURGED,
            data={"resource": "recordings", "count": count},
        )


def _delete_every_version(s3, bucket: str, keys: set[str], versioned: dict[str, bool]) -> dict[str, dict]:
    if bucket not in versioned:
        versioned[bucket] = _is_versioned(s3, bucket)
    targets = (
        _object_versions(s3, bucket, keys) if versioned[bucket] else [{"Key": key} for key in sorted(keys)]
    )
    return _delete_objects(s3, bucket, targets)


def _error_of(exc: Exception) -> dict:
    code = (
        exc.response["Error"].get("Code", "Unknown") if isinstance(exc, ClientError) else type(exc).__name__
    )
    return {"Code": code, "Message": str(exc)}


def _is_versioned(s3, bucket: str) -> bool:
    return s3.get_bucket_versioning(Bucket=bucket).get("Status") in VERSIONED_STATES


def _object_versions(s3, bucket: str, keys: set[str]) -> list[dict]:
    """Every version and delete marker of these keys, listed once per folder they live in."""
    targets = []
    paginator = s3.get_paginator("list_object_versions")
    for folder in sorted({posixpath.dirname(key) + "/" for key in keys}):
        for page in paginator.paginate(Bucket=bucket, Prefix=folder):
            for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                if entry["Key"] in keys:
                    targets.append({"Key": entry["Key"], "VersionId": entry["VersionId"]})
    return targets


def _delete_objects(s3, bucket: str, targets: list[dict]) -> dict[str, dict]:
    """Deletes in calls of at most 1,000 objects; returns the first error per key (a failed call fails its keys)."""
    errors: dict[str, dict] = {}
    for start in range(0, len(targets), MAX_KEYS_PER_DELETE):
        chunk = targets[start : start + MAX_KEYS_PER_DELETE]
        try:
            answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
        except (BotoCoreError, ClientError) as exc:
            answer = {"Errors": [{"Key": target["Key"], **_error_of(exc)} for target in chunk]}
        for error in answer.get("Errors", []):
            errors.setdefault(
                error["Key"], {"Code": error.get("Code", "Unknown"), "Message": error.get("Message", "")}
            )
    return errors
