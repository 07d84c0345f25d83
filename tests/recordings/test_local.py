"""`make run`'s recording jobs and `make purge`, against the local S3 endpoint and committed rows."""

import time
from datetime import UTC, datetime, timedelta

from devserver import purge as local_purge
from devserver.recording_events import LocalRecordingJobs, start_local_recording_jobs
from meetings.secretary.recordings.models import Recording, RecordingStatus
from tests.recordings.support import make_recording


def reload(committed, recording: Recording) -> Recording:
    committed.session.expire_all()
    return committed.session.get(Recording, recording.id)


def test_new_objects_are_finalized_once(committed, s3):
    recording = make_recording(committed.session, committed.room(), bucket=s3.bucket)
    committed.session.commit()
    jobs = LocalRecordingJobs(bucket=s3.bucket)
    assert jobs.finalize_new_objects() == 0

    s3.put_object(Bucket=s3.bucket, Key=recording.s3_key, Body=b"movie")
    s3.put_object(Bucket=s3.bucket, Key="recordings/independent/x/unknown.mp4", Body=b"?")

    assert jobs.finalize_new_objects() == 2
    assert jobs.finalize_new_objects() == 0
    stored = reload(committed, recording)
    assert (stored.status, stored.file_size_bytes) == (RecordingStatus.READY, 5)


def test_the_background_jobs_finalize_and_purge_until_stopped(committed, s3):
    room = committed.room()
    fresh = make_recording(committed.session, room, bucket=s3.bucket)
    old = make_recording(committed.session, room, bucket=s3.bucket, status=RecordingStatus.READY, age_days=40)
    committed.session.commit()
    s3.put_object(Bucket=s3.bucket, Key=fresh.s3_key, Body=b"new")
    s3.put_object(Bucket=s3.bucket, Key=old.s3_key, Body=b"old")

    jobs = start_local_recording_jobs(finalize_every=0.05, purge_every=0)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (
            reload(committed, fresh).status != RecordingStatus.READY
            or reload(committed, old).status != RecordingStatus.PURGED
        ):
            time.sleep(0.05)
    finally:
        jobs.stop()

    assert reload(committed, fresh).status == RecordingStatus.READY
    assert reload(committed, old).status == RecordingStatus.PURGED


def test_make_purge_purges_what_is_due_as_of_a_given_time(committed, s3, capsys):
    recording = make_recording(
        committed.session, committed.room(), bucket=s3.bucket, status=RecordingStatus.READY
    )
    committed.session.commit()
    s3.put_object(Bucket=s3.bucket, Key=recording.s3_key, Body=b"movie")

    assert local_purge.main([]) == 0
    assert reload(committed, recording).status == RecordingStatus.READY

    later = (datetime.now(UTC) + timedelta(days=31)).isoformat()
    assert local_purge.main(["--as-of", later]) == 0

    assert reload(committed, recording).status == RecordingStatus.PURGED
    assert "Purged" in capsys.readouterr().out
    assert s3.list_objects_v2(Bucket=s3.bucket).get("KeyCount") == 0


def test_make_purge_explains_an_unreachable_endpoint(monkeypatch, capsys):
    from meetings.settings import get_settings
    from meetings.storage import s3_client

    monkeypatch.setenv("S3_ENDPOINT_URL", "http://127.0.0.1:9")
    get_settings.cache_clear()
    s3_client.cache_clear()
    try:
        assert local_purge.main([]) == 2
    finally:
        get_settings.cache_clear()
        s3_client.cache_clear()
    assert "make run" in capsys.readouterr().err
