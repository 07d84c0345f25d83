"""Finalization: the object lands in S3 and the recording becomes READY, exactly once."""

import logging

from meetings.secretary.recordings.finalize import (
    RETENTION_TAG,
    StoredObject,
    finalize_recording_object,
    finalize_recording_objects,
)
from meetings.secretary.recordings.models import RecordingStatus
from tests.factories import make_entity
from tests.recordings.support import make_active_room, make_recording


def land(s3, key: str, body: bytes = b"\x00\x00\x00\x18ftypmp42 recording") -> StoredObject:
    answer = s3.put_object(Bucket=s3.bucket, Key=key, Body=body)
    return StoredObject(bucket=s3.bucket, key=key, size=len(body), version_id=answer.get("VersionId"))


def tags(s3, key: str) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in s3.get_object_tagging(Bucket=s3.bucket, Key=key)["TagSet"]}


def test_landed_object_makes_the_recording_ready_with_its_size_and_retention_tag(db, s3):
    room = make_active_room(db, make_entity(db, recording_retention_days=90))
    recording = make_recording(db, room, bucket=s3.bucket, retention_days=90)

    stored = land(s3, recording.s3_key, b"x" * 1234)
    finalize_recording_object(db=db, s3=s3, stored=stored)

    db.refresh(recording)
    assert recording.status == RecordingStatus.READY
    assert recording.file_size_bytes == 1234
    assert tags(s3, recording.s3_key) == {RETENTION_TAG: "90"}


def test_size_is_read_from_s3_when_the_event_has_none(db, s3):
    recording = make_recording(db, make_active_room(db), bucket=s3.bucket)
    land(s3, recording.s3_key, b"y" * 777)

    finalize_recording_object(db=db, s3=s3, stored=StoredObject(bucket=s3.bucket, key=recording.s3_key))

    assert recording.file_size_bytes == 777
    assert recording.status == RecordingStatus.READY


def test_a_duplicate_event_changes_nothing_the_second_time(db, s3):
    recording = make_recording(db, make_active_room(db), bucket=s3.bucket)
    stored = land(s3, recording.s3_key, b"z" * 10)
    finalize_recording_object(db=db, s3=s3, stored=stored)
    s3.put_object_tagging(
        Bucket=s3.bucket, Key=recording.s3_key, Tagging={"TagSet": [{"Key": "marker", "Value": "1"}]}
    )

    again = StoredObject(bucket=s3.bucket, key=recording.s3_key, size=999)
    finalize_recording_object(db=db, s3=s3, stored=again)

    db.refresh(recording)
    assert (recording.status, recording.file_size_bytes) == (RecordingStatus.READY, 10)
    assert tags(s3, recording.s3_key) == {"marker": "1"}  # not tagged a second time


def test_an_object_after_livekit_reported_failure_keeps_the_recording_failed(db, s3):
    recording = make_recording(db, make_active_room(db), bucket=s3.bucket, status=RecordingStatus.FAILED)

    finalize_recording_object(db=db, s3=s3, stored=land(s3, recording.s3_key, b"partial"))

    assert recording.status == RecordingStatus.FAILED
    assert recording.file_size_bytes == len(b"partial")
    assert tags(s3, recording.s3_key) == {RETENTION_TAG: "30"}


def test_a_late_event_for_a_purged_recording_is_ignored(db, s3):
    from datetime import UTC, datetime

    recording = make_recording(
        db,
        make_active_room(db),
        bucket=s3.bucket,
        status=RecordingStatus.PURGED,
        deleted_at=datetime.now(UTC),
    )

    finalize_recording_object(db=db, s3=s3, stored=land(s3, recording.s3_key))

    db.refresh(recording)
    assert recording.status == RecordingStatus.PURGED
    assert recording.file_size_bytes is None


def test_an_object_without_a_recording_is_logged_and_left_in_place(db, s3, caplog):
    key = "recordings/independent/nobody/unknown.mp4"
    stored = land(s3, key)

    with caplog.at_level(logging.WARNING, logger="meetings"):
        assert finalize_recording_object(db=db, s3=s3, stored=stored) is None

    assert any(
        record.getMessage() == "object has no recording; left in place" and record.key == key
        for record in caplog.records
    )
    assert s3.head_object(Bucket=s3.bucket, Key=key)["ContentLength"] == stored.size


def test_objects_outside_the_recordings_prefix_are_not_finalized(db, s3):
    recording = make_recording(db, make_active_room(db), bucket=s3.bucket, s3_key="elsewhere/file.mp4")
    land(s3, recording.s3_key)

    results = finalize_recording_objects(
        db=db, s3=s3, objects=[StoredObject(bucket=s3.bucket, key=recording.s3_key, size=3)]
    )

    assert results == [None]
    assert recording.status == RecordingStatus.PROCESSING
