"""The tenancy migrations on existing data: participants take their rooms' entity (shared rows stay
without an owner) and magic links keep working once only their hashes are stored."""

import uuid

import psycopg
import pytest
from alembic import command
from sqlalchemy import create_engine, pool, text

from meetings.db import sqlalchemy_url
from meetings.identity.passwords import hash_token
from meetings.migrate import alembic_config


@pytest.fixture(scope="module")
def old_schema_url(database_url):
    admin = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute("DROP DATABASE IF EXISTS meetings_tenancy_migration")
        connection.execute("CREATE DATABASE meetings_tenancy_migration")
    url = sqlalchemy_url(admin.replace("/meetings_test", "/meetings_tenancy_migration"))
    command.upgrade(alembic_config(url), "0003_triggers")
    return url


def test_existing_rows_are_carried_over(old_schema_url):
    engine = create_engine(old_schema_url, poolclass=pool.NullPool)
    token = str(uuid.uuid4())
    with engine.begin() as db:
        a, b = (
            db.execute(
                text("INSERT INTO entities (name, type) VALUES (:n, 'clinic') RETURNING id"), {"n": n}
            ).scalar()
            for n in ("A", "B")
        )
        rooms = {}
        for key, entity in (("a1", a), ("a2", a), ("b1", b)):
            rooms[key] = str(uuid.uuid4())
            db.execute(
                text(
                    "INSERT INTO rooms (id, livekit_room_id, title, entity_id, scheduled_at, max_participants) "
                    "VALUES (:id, :id, 'T', :e, now() + interval '1 day', 5)"
                ),
                {"id": rooms[key], "e": entity},
            )
        people = {}
        for key in ("only_a", "shared", "loose"):
            people[key] = db.execute(
                text(
                    "INSERT INTO participants (name, type, phone_number) VALUES (:n, 'CLIENT', '+5511900000001') RETURNING id"
                ),
                {"n": key},
            ).scalar()
        for person, room, link in (
            ("only_a", "a1", token),
            ("only_a", "a2", None),
            ("shared", "a1", None),
            ("shared", "b1", None),
        ):
            db.execute(
                text(
                    "INSERT INTO room_participants (room_id, participant_id, magic_link_token) VALUES (:r, :p, :t)"
                ),
                {"r": rooms[room], "p": people[person], "t": link},
            )

    command.upgrade(alembic_config(old_schema_url), "head")

    with engine.connect() as db:
        owners = dict(db.execute(text("SELECT name, entity_id FROM participants")).tuples().all())
        hashes = (
            db.execute(
                text(
                    "SELECT magic_link_token_hash FROM room_participants WHERE magic_link_token_hash IS NOT NULL"
                )
            )
            .scalars()
            .all()
        )
    assert owners == {"only_a": a, "shared": None, "loose": None}
    assert hashes == [hash_token(token)]
