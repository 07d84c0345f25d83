"""`make run`'s stand-in for the recording Lambdas: the local S3 endpoint sends no notifications, so a
background thread lists `recordings/` every few seconds and hands new objects to the same finalize code
the recording-finalizer Lambda runs, and runs the retention purge now and then, like the schedule.
"""

import threading
import time
from dataclasses import dataclass, field

from devserver.s3_events import ObjectMarker, mark_seen, start_poller, unseen_objects
from meetings.db import session_factory
from meetings.db_scope import set_db_scope
from meetings.secretary.recordings.finalize import RECORDINGS_PREFIX, StoredObject, finalize_recording_objects
from meetings.secretary.recordings.purge import purge_due_recordings
from meetings.settings import get_settings
from meetings.storage import s3_client

FINALIZE_EVERY_SECONDS = 2.0
PURGE_EVERY_SECONDS = 600.0


@dataclass
class LocalRecordingJobs:
    """Finalizes objects that appeared since the last look; purges due recordings on a slower beat."""

    bucket: str
    finalize_every: float = FINALIZE_EVERY_SECONDS
    purge_every: float = PURGE_EVERY_SECONDS
    stopped: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    _seen: set[ObjectMarker] = field(default_factory=set)
    _last_purge: float = 0.0

    def finalize_new_objects(self) -> int:
        """Finalizes each object not seen before (by key and ETag); returns how many it handed over."""
        new = unseen_objects(bucket=self.bucket, prefix=RECORDINGS_PREFIX, seen=self._seen)
        if new:
            objects = [StoredObject(bucket=self.bucket, key=item["Key"], size=item["Size"]) for item in new]
            with set_db_scope(session_factory()(), "jobs") as db:
                finalize_recording_objects(db=db, s3=s3_client(), objects=objects)
                db.commit()
            for item in new:
                mark_seen(self._seen, item)
        return len(new)

    def purge_if_due(self) -> None:
        if time.monotonic() - self._last_purge < self.purge_every:
            return
        with set_db_scope(session_factory()(), "jobs") as db:
            purge_due_recordings(db=db, s3=s3_client())
        self._last_purge = time.monotonic()

    def run_once(self) -> None:
        self.finalize_new_objects()
        self.purge_if_due()

    def stop(self) -> None:
        """Ends the loop after the current round and waits for it."""
        self.stopped.set()
        if self.thread is not None:
            self.thread.join()


def start_local_recording_jobs(
    *, finalize_every: float = FINALIZE_EVERY_SECONDS, purge_every: float = PURGE_EVERY_SECONDS
) -> LocalRecordingJobs:
    """Starts the jobs on a daemon thread (it ends with the process); returns them (`.stop()` to end early)."""
    jobs = LocalRecordingJobs(
        bucket=get_settings().recordings_bucket, finalize_every=finalize_every, purge_every=purge_every
    )
    jobs.thread = start_poller(
        name="local-recording-jobs", interval=finalize_every, each_round=jobs.run_once, stop=jobs.stopped
    )
    return jobs
