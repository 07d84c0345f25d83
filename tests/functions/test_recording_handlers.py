"""The recording Lambdas called with the events AWS sends: S3 ObjectCreated and EventBridge schedules."""

import uuid

import pytest
from sqlalchemy import select

from meetings.secretary.recordings.models import Recording, RecordingStatus
from tests.recordings.aws_events import LambdaContext, s3_record, scheduled_event
from tests.recordings.support import (
    load_function,
    make_due_recording,
    make_recording,
)


@pytest.fixture
def finalizer():
    return load_function("recording_finalizer").handler


@pytest.fixture
def purge_module():
    return load_function("retention_purge")


def reload(committed, recording: Recording) -> Recording:
    committed.session.expire_all()
    return committed.session.get(Recording, recording.id)


# ---- recording finalizer -------------------------------------------------------------------------


def test_an_s3_event_with_an_encoded_key_finalizes_its_recording(committed, s3, finalizer):
    room = committed.room(id=f"consulta 7+ana {uuid.uuid4().hex[:6]}")  # spaces and + arrive encoded
    recording = make_recording(committed.session, room, bucket=s3.bucket)
    committed.session.commit()
    s3.put_object(Bucket=s3.bucket, Key=recording.s3_key, Body=b"m" * 321)
    event = {"Records": [s3_record(s3.bucket, recording.s3_key, size=321)]}
    assert (
        "+" in event["Records"][0]["s3"]["object"]["key"]
        and " " not in event["Records"][0]["s3"]["object"]["key"]
    )

    answer = finalizer(event, LambdaContext(60_000))

    assert answer == {"objects": 1, "finalized": 1}
    stored = reload(committed, recording)
    assert (stored.status, stored.file_size_bytes) == (RecordingStatus.READY, 321)
    tags = s3.get_object_tagging(Bucket=s3.bucket, Key=recording.s3_key)["TagSet"]
    assert tags == [{"Key": "retention-days", "Value": "30"}]


def test_a_redelivered_event_changes_nothing_twice(committed, s3, finalizer):
    recording = make_recording(committed.session, committed.room(), bucket=s3.bucket)
    committed.session.commit()
    s3.put_object(Bucket=s3.bucket, Key=recording.s3_key, Body=b"abc")
    event = {"Records": [s3_record(s3.bucket, recording.s3_key, size=3)]}

    finalizer(event, LambdaContext(60_000))
    s3.delete_object_tagging(Bucket=s3.bucket, Key=recording.s3_key)
    finalizer(event, LambdaContext(60_000))

    stored = reload(committed, recording)
    assert (stored.status, stored.file_size_bytes) == (RecordingStatus.READY, 3)
    assert s3.get_object_tagging(Bucket=s3.bucket, Key=recording.s3_key)["TagSet"] == []


def test_an_event_without_size_reads_it_from_the_object_version(committed, s3, finalizer):
    s3.put_bucket_versioning(Bucket=s3.bucket, VersioningConfiguration={"Status": "Enabled"})
    recording = make_recording(committed.session, committed.room(), bucket=s3.bucket)
    committed.session.commit()
    version = s3.put_object(Bucket=s3.bucket, Key=recording.s3_key, Body=b"12345")["VersionId"]

    finalizer(
        {"Records": [s3_record(s3.bucket, recording.s3_key, size=None, version_id=version)]}, LambdaContext(1)
    )

    assert reload(committed, recording).file_size_bytes == 5


def test_unknown_keys_other_events_and_the_s3_test_event_are_harmless(committed, s3, finalizer):
    recording = make_recording(committed.session, committed.room(), bucket=s3.bucket)
    committed.session.commit()
    event = {
        "Records": [
            s3_record(s3.bucket, "recordings/independent/ghost room/unknown.mp4", size=9),
            s3_record(s3.bucket, recording.s3_key, size=9, event_name="ObjectRemoved:Delete"),
        ]
    }

    assert finalizer(event, LambdaContext(1)) == {"objects": 1, "finalized": 0}
    test_event = {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2026-11-26T14:00:00.000Z",
        "Bucket": s3.bucket,
        "RequestId": "5582815E1AEA5ADF",
        "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
    }
    assert finalizer(test_event, LambdaContext(1)) == {"objects": 0, "finalized": 0}
    assert reload(committed, recording).status == RecordingStatus.PROCESSING


# ---- retention purge -----------------------------------------------------------------------------


def test_the_scheduled_purge_deletes_due_objects_and_keeps_the_rows(committed, s3, purge_module):
    room = committed.room()
    due = [make_due_recording(committed.session, room, bucket=s3.bucket) for _ in range(3)]
    fresh = make_recording(committed.session, room, bucket=s3.bucket, status=RecordingStatus.READY)
    committed.session.commit()
    for recording in [*due, fresh]:
        s3.put_object(Bucket=s3.bucket, Key=recording.s3_key, Body=b"mp4")

    answer = purge_module.handler(scheduled_event(), LambdaContext(600_000))

    assert answer["complete"] is True and answer["purged"] >= 3
    for recording in due:
        stored = reload(committed, recording)
        assert (stored.status, stored.deleted_at is not None) == (RecordingStatus.PURGED, True)
    assert reload(committed, fresh).deleted_at is None
    remaining = [item["Key"] for item in s3.list_objects_v2(Bucket=s3.bucket).get("Contents", [])]
    assert remaining == [fresh.s3_key]


def test_the_purge_stops_before_the_lambda_times_out_and_the_next_run_resumes(
    committed, s3, purge_module, monkeypatch
):
    settings = purge_module.get_settings().model_copy(update={"purge_batch_size": 2})
    monkeypatch.setattr(purge_module, "get_settings", lambda: settings)
    room = committed.room()
    due = [make_due_recording(committed.session, room, bucket=s3.bucket) for _ in range(5)]
    committed.session.commit()
    ids = [recording.id for recording in due]

    first = purge_module.handler(scheduled_event(), LambdaContext(600_000, 600_000, 20_000))

    assert (first["batches"], first["complete"]) == (2, False)
    purged_ids = (
        committed.session.execute(
            select(Recording.id).where(Recording.id.in_(ids), Recording.deleted_at.is_not(None))
        )
        .scalars()
        .all()
    )
    assert len(purged_ids) == 4

    second = purge_module.handler(scheduled_event(), LambdaContext(600_000))

    assert second["complete"] is True
    committed.session.expire_all()
    assert {reload(committed, r).status for r in due} == {RecordingStatus.PURGED}


def test_the_purge_reports_keys_s3_refused(committed, s3, purge_module):
    bucket = s3.bucket + "-locked"
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    held = make_due_recording(committed.session, committed.room(), bucket=bucket)
    committed.session.commit()
    s3.put_object(Bucket=bucket, Key=held.s3_key, Body=b"mp4")
    s3.put_object_legal_hold(Bucket=bucket, Key=held.s3_key, LegalHold={"Status": "ON"})

    answer = purge_module.handler(scheduled_event(), LambdaContext(600_000))

    assert [(f["recording_id"], f["key"]) for f in answer["failed"] if f["bucket"] == bucket] == [
        (str(held.id), held.s3_key)
    ]
    assert reload(committed, held).deleted_at is None
    version = s3.list_object_versions(Bucket=bucket, Prefix=held.s3_key)["Versions"][0]["VersionId"]
    s3.put_object_legal_hold(Bucket=bucket, Key=held.s3_key, VersionId=version, LegalHold={"Status": "OFF"})
