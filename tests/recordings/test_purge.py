"""Retention purge: due recordings lose every version of their object; rows stay with deleted_at."""

import logging
import threading
from collections import Counter

import boto3
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from meetings.db_scope import set_db_scope
from meetings.secretary.recordings.models import Recording, RecordingStatus
from meetings.secretary.recordings.purge import purge_due_recordings, select_due_batch
from tests.recordings.support import make_active_room, make_due_recording, make_recording


def put(s3, key: str, bucket: str | None = None, body: bytes = b"mp4") -> None:
    s3.put_object(Bucket=bucket or s3.bucket, Key=key, Body=body)


def exists(s3, key: str, bucket: str | None = None) -> bool:
    listing = s3.list_object_versions(Bucket=bucket or s3.bucket, Prefix=key)
    return bool(listing.get("Versions") or listing.get("DeleteMarkers"))


def deleted_keys_per_call(s3) -> list[list[str]]:
    """Records the keys of every DeleteObjects call this client makes."""
    calls: list[list[str]] = []
    s3.meta.events.register(
        "before-parameter-build.s3.DeleteObjects",
        lambda params, **_: calls.append([item["Key"] for item in params["Delete"]["Objects"]]),
    )
    return calls


def test_due_recordings_are_purged_and_their_rows_kept(db, s3):
    room = make_active_room(db)
    due = [make_due_recording(db, room, bucket=s3.bucket) for _ in range(3)]
    kept = make_recording(db, room, bucket=s3.bucket, status=RecordingStatus.READY)
    for recording in [*due, kept]:
        put(s3, recording.s3_key)
    rows_before = db.execute(select(func.count()).select_from(Recording)).scalar_one()

    report = purge_due_recordings(db=db, s3=s3)

    assert (report.purged, report.failures, report.complete) == (3, [], True)
    for recording in due:
        db.refresh(recording)
        assert recording.status == RecordingStatus.PURGED
        assert recording.deleted_at is not None
        assert not exists(s3, recording.s3_key)
    db.refresh(kept)
    assert (kept.status, kept.deleted_at) == (RecordingStatus.READY, None)
    assert exists(s3, kept.s3_key)
    assert db.execute(select(func.count()).select_from(Recording)).scalar_one() == rows_before


def test_a_second_run_finds_nothing_to_do(db, s3):
    recording = make_due_recording(db, make_active_room(db), bucket=s3.bucket)
    put(s3, recording.s3_key)
    purge_due_recordings(db=db, s3=s3)
    db.refresh(recording)
    first_deleted_at = recording.deleted_at

    report = purge_due_recordings(db=db, s3=s3)

    db.refresh(recording)
    assert (report.purged, report.batches, report.complete) == (0, 0, True)
    assert first_deleted_at is not None and recording.deleted_at == first_deleted_at


def test_every_version_and_delete_marker_of_a_versioned_object_is_deleted(db, s3):
    s3.put_bucket_versioning(Bucket=s3.bucket, VersioningConfiguration={"Status": "Enabled"})
    room = make_active_room(db)
    recording = make_due_recording(db, room, bucket=s3.bucket)
    neighbour = make_recording(db, room, bucket=s3.bucket)
    for body in (b"v1", b"v2", b"v3"):
        put(s3, recording.s3_key, body=body)
    s3.delete_object(Bucket=s3.bucket, Key=recording.s3_key)  # a delete marker over the versions
    put(s3, neighbour.s3_key)

    report = purge_due_recordings(db=db, s3=s3)

    assert report.purged == 1
    assert not exists(s3, recording.s3_key)
    assert exists(s3, neighbour.s3_key)  # same folder, not due


def test_delete_objects_is_called_with_at_most_1000_keys(db, s3):
    room = make_active_room(db)
    for _ in range(1500):
        make_due_recording(db, room, bucket=s3.bucket)  # objects never landed: deleting is still fine
    calls = deleted_keys_per_call(s3)

    report = purge_due_recordings(db=db, s3=s3, batch_size=1500)

    assert report.purged == 1500 and report.batches == 1
    assert sorted(len(keys) for keys in calls) == [500, 1000]


def test_keys_s3_refuses_to_delete_stay_for_the_next_run_and_are_reported(db, s3, caplog):
    locked_bucket = s3.bucket + "-locked"
    s3.create_bucket(Bucket=locked_bucket, ObjectLockEnabledForBucket=True)
    room = make_active_room(db)
    held = make_due_recording(db, room, bucket=locked_bucket)
    free = make_due_recording(db, room, bucket=locked_bucket)
    put(s3, held.s3_key, bucket=locked_bucket)
    put(s3, free.s3_key, bucket=locked_bucket)
    s3.put_object_legal_hold(Bucket=locked_bucket, Key=held.s3_key, LegalHold={"Status": "ON"})

    with caplog.at_level(logging.WARNING, logger="meetings"):
        report = purge_due_recordings(db=db, s3=s3)

    assert report.purged == 1
    assert [(f.recording_id, f.key) for f in report.failures] == [(str(held.id), held.s3_key)]
    assert report.failures[0].code
    assert any(getattr(record, "recording_id", None) == str(held.id) for record in caplog.records)
    db.refresh(held)
    db.refresh(free)
    assert (held.status, held.deleted_at) == (RecordingStatus.READY, None)
    assert free.status == RecordingStatus.PURGED
    assert exists(s3, held.s3_key, bucket=locked_bucket)

    version = s3.list_object_versions(Bucket=locked_bucket, Prefix=held.s3_key)["Versions"][0]["VersionId"]
    s3.put_object_legal_hold(
        Bucket=locked_bucket, Key=held.s3_key, VersionId=version, LegalHold={"Status": "OFF"}
    )
    again = purge_due_recordings(db=db, s3=s3)

    db.refresh(held)
    assert (again.purged, again.failures) == (1, [])
    assert held.status == RecordingStatus.PURGED
    assert not exists(s3, held.s3_key, bucket=locked_bucket)


def test_a_run_stops_when_told_and_the_next_run_resumes(db, s3):
    room = make_active_room(db)
    recordings = [make_due_recording(db, room, bucket=s3.bucket) for _ in range(5)]
    budget = iter([True, False])

    first = purge_due_recordings(db=db, s3=s3, batch_size=2, keep_going=lambda: next(budget))

    assert (first.purged, first.batches, first.complete) == (2, 1, False)
    second = purge_due_recordings(db=db, s3=s3, batch_size=2)
    assert (second.purged, second.complete) == (3, True)
    for recording in recordings:
        db.refresh(recording)
        assert recording.status == RecordingStatus.PURGED


def test_a_batch_locked_by_one_run_is_skipped_by_another(committed, engine, s3):
    room = committed.room()
    recordings = [make_due_recording(committed.session, room, bucket=s3.bucket) for _ in range(6)]
    committed.session.commit()
    ids = {recording.id for recording in recordings}

    with (
        set_db_scope(Session(bind=engine), "jobs") as first,
        set_db_scope(Session(bind=engine), "jobs") as second,
    ):
        held = {
            due.id
            for due in select_due_batch(db=first, cutoff=func.now(), after=None, limit=3)
            if due.id in ids
        }
        report = purge_due_recordings(db=second, s3=s3)
        first.rollback()
        taken_by_second = set(
            second.execute(
                select(Recording.id).where(Recording.id.in_(ids), Recording.deleted_at.is_not(None))
            ).scalars()
        )

    assert len(held) == 3
    assert taken_by_second == ids - held
    assert report.purged >= 3


def test_two_concurrent_runs_never_delete_the_same_key(committed, engine, s3_endpoint, s3):
    room = committed.room()
    recordings = [make_due_recording(committed.session, room, bucket=s3.bucket) for _ in range(40)]
    committed.session.commit()
    ids = {recording.id for recording in recordings}
    clients = [boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1") for _ in range(2)]
    calls = [deleted_keys_per_call(client) for client in clients]
    start = threading.Barrier(2)

    def run(client) -> None:
        with set_db_scope(Session(bind=engine), "jobs") as session:
            start.wait()
            purge_due_recordings(db=session, s3=client, batch_size=5)

    threads = [threading.Thread(target=run, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    ours = {recording.s3_key for recording in recordings}
    deleted = Counter(key for per_client in calls for keys in per_client for key in keys if key in ours)
    assert set(deleted) == ours
    assert max(deleted.values()) == 1
    with set_db_scope(Session(bind=engine), "manager") as check:
        statuses = check.execute(select(Recording.status).where(Recording.id.in_(ids))).scalars().all()
    assert statuses == [RecordingStatus.PURGED] * len(ids)


def test_rows_of_a_missing_bucket_are_reported_and_the_rest_purged(db, s3):
    room = make_active_room(db)
    lost = make_due_recording(db, room, bucket=s3.bucket + "-gone")
    fine = make_due_recording(db, room, bucket=s3.bucket)

    report = purge_due_recordings(db=db, s3=s3)

    assert [(f.recording_id, f.code) for f in report.failures] == [(str(lost.id), "NoSuchBucket")]
    db.refresh(lost)
    db.refresh(fine)
    assert (lost.deleted_at, fine.status) == (None, RecordingStatus.PURGED)
