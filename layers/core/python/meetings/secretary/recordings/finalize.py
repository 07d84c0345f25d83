"""Finalization: a recording's object has landed in S3, so the recording becomes READY.

S3 delivers each notification at least once and in no particular order, so finalizing the same object
again, or after LiveKit reported the egress failed, or after the purge, changes nothing.
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from meetings.log import logger
from meetings.notifications import outbox
from meetings.notifications.catalogue import EventType
from meetings.s3_layout import RECORDINGS_PREFIX, RETENTION_TAG
from meetings.secretary.recordings.models import Recording, RecordingStatus


@dataclass(frozen=True)
class StoredObject:
    """An object S3 reports as created (key already URL-decoded)."""

    bucket: str
    key: str
    size: int | None = None
    version_id: str | None = None


def finalize_recording_object(*, db: Session, s3, stored: StoredObject) -> Recording | None:
    """Marks the recording stored under this key READY with its size and tags the object with its retention."""
    recording = db.execute(
        select(Recording).where(Recording.s3_key == stored.key).with_for_update()
    ).scalar_one_or_none()
    if recording is None:
        logger.warning(
            "object has no recording; left in place",
            extra={"bucket": stored.bucket, "key": stored.key, "version_id": stored.version_id},
        )
        return None
    if recording.deleted_at is not None or recording.status == RecordingStatus.PURGED:
        logger.info("object event for a purged recording ignored", extra={"recording_id": str(recording.id)})
        return recording
    if recording.file_size_bytes is not None:
        logger.info("duplicate object event ignored", extra={"recording_id": str(recording.id)})
        return recording

    size = stored.size if stored.size is not None else _object_size(s3, stored)
    _tag_retention(s3, stored, recording.retention_days)
    recording.file_size_bytes = size
    # A recording LiveKit already reported as failed stays FAILED: its object may be partial.
    if recording.status == RecordingStatus.PROCESSING:
        recording.status = RecordingStatus.READY
        outbox.emit_for_room(
            db=db,
            room_id=recording.room_id,
            type=EventType.RECORDING_READY,
            data={"recording_id": str(recording.id)},
        )
    db.flush()
    logger.info(
        "recording finalized",
        extra={"recording_id": str(recording.id), "status": recording.status.value, "size": size},
    )
    return recording


def finalize_recording_objects(*, db: Session, s3, objects: list[StoredObject]) -> list[Recording | None]:
    """Finalizes every created object under the recordings prefix, in order (None for an unknown key)."""
    results = []
    for stored in objects:
        if not stored.key.startswith(RECORDINGS_PREFIX):
            logger.warning("object outside the recordings prefix ignored", extra={"key": stored.key})
            results.append(None)
            continue
        results.append(finalize_recording_object(db=db, s3=s3, stored=stored))
    return results


def _object_size(s3, stored: StoredObject) -> int:
    params = {"Bucket": stored.bucket, "Key": stored.key}
    if stored.version_id:
        params["VersionId"] = stored.version_id
    return int(s3.head_object(**params)["ContentLength"])


def _tag_retention(s3, stored: StoredObject, retention_days: int) -> None:
    params = {
        "Bucket": stored.bucket,
        "Key": stored.key,
        "Tagging": {"TagSet": [{"Key": RETENTION_TAG, "Value": str(retention_days)}]},
    }
    if stored.version_id:
        params["VersionId"] = stored.version_id
    s3.put_object_tagging(**params)
