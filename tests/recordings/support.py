"""Shared by the recording tests: a local S3 endpoint (moto server), rooms in any state, recordings,
and rows committed for real when a test needs other connections (handlers, concurrent purges)."""

import importlib.util
import itertools
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from meetings.db_scope import set_db_scope
from meetings.manager.entities.models import Entity
from meetings.manager.users.models import User
from meetings.secretary.events.models import RoomEvent
from meetings.secretary.recordings.models import Recording, RecordingStatus
from meetings.secretary.recordings.service import recording_key
from meetings.secretary.rooms.models import Room, RoomStatus
from tests.factories import make_entity, make_room, make_user

NOW = datetime.now(UTC)
FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
_buckets = itertools.count(1)


def load_function(name: str):
    """Imports functions/<name>/handler.py as the Lambda runtime would (a module of its own)."""
    spec = importlib.util.spec_from_file_location(f"{name}_handler", FUNCTIONS / name / "handler.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """One local S3 endpoint (moto server) for the whole run; each test gets its own bucket."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint, monkeypatch):
    """A client of the local endpoint and a fresh recordings bucket the settings point at."""
    from meetings.settings import get_settings
    from meetings.storage import s3_client

    bucket = f"recordings-test-{next(_buckets)}-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("RECORDINGS_BUCKET", bucket)
    get_settings.cache_clear()
    s3_client.cache_clear()
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    client.bucket = bucket
    yield client
    get_settings.cache_clear()
    s3_client.cache_clear()


def make_active_room(db: Session, entity=None, **fields) -> Room:
    """The room a recording belongs to: an ACTIVE meeting."""
    return make_room(db, entity, **{"status": RoomStatus.ACTIVE, **fields})


def make_recording(db: Session, room: Room, *, bucket: str = "b", age_days: float = 0, **fields) -> Recording:
    """A recording row; `age_days` back-dates created_at, so purge_at (from the trigger) can be past."""
    recording_id = uuid.uuid4()
    recording = Recording(
        **{
            "id": recording_id,
            "room_id": room.id,
            "livekit_egress_id": f"EG_{uuid.uuid4().hex[:12]}",
            "s3_bucket": bucket,
            "s3_key": recording_key(entity_id=room.entity_id, room_id=room.id, recording_id=recording_id),
            "retention_days": 30,
            "created_at": datetime.now(UTC) - timedelta(days=age_days),
            **fields,
        }
    )
    db.add(recording)
    db.flush()
    db.refresh(recording)
    return recording


def make_due_recording(db: Session, room: Room, *, bucket: str, **fields) -> Recording:
    return make_recording(db, room, bucket=bucket, age_days=31, status=RecordingStatus.READY, **fields)


@dataclass
class Committed:
    """Rows committed for real, removed after the test (product code never deletes recordings)."""

    engine: object  # the owner's: cleanup
    session: Session  # the application role's, seeing every tenant
    room_ids: list[str] = field(default_factory=list)
    entity_ids: list[int] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)

    def entity(self, **fields):
        entity = make_entity(self.session, **fields)
        self.entity_ids.append(entity.id)
        return entity

    def user(self, **fields):
        user = make_user(self.session, **fields)
        self.user_ids.append(user.id)
        return user

    def room(self, entity=None, **fields) -> Room:
        room = make_active_room(self.session, entity, **fields)
        self.room_ids.append(room.id)
        return room

    def cleanup(self) -> None:
        self.session.rollback()
        with self.engine.begin() as connection:
            connection.execute(delete(Recording).where(Recording.room_id.in_(self.room_ids)))
            connection.execute(delete(RoomEvent).where(RoomEvent.room_id.in_(self.room_ids)))
            connection.execute(delete(Room).where(Room.id.in_(self.room_ids)))
            connection.execute(delete(User).where(User.id.in_(self.user_ids)))
            connection.execute(delete(Entity).where(Entity.id.in_(self.entity_ids)))
        self.session.close()


@pytest.fixture
def committed(engine, owner_engine) -> Iterator[Committed]:
    session = set_db_scope(Session(bind=engine, expire_on_commit=False), "manager")
    rows = Committed(engine=owner_engine, session=session)
    yield rows
    rows.cleanup()
