"""Migrations: up, down and up again on a fresh database; no drift from the models; spec indexes."""

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, pool, text

from meetings.db import sqlalchemy_url
from meetings.migrate import downgrade_to_base, include_object, upgrade_to_head
from meetings.models import metadata

# Every index named in the data-model spec, under the spec's name.
SPEC_INDEXES = """
idx_users_email idx_users_phone idx_users_entity idx_users_active
idx_entities_active idx_entities_type
idx_departments_entity idx_departments_active
idx_professionals_phone idx_professionals_email idx_professionals_external idx_professionals_active
idx_prof_entity_professional idx_prof_entity_entity idx_prof_entity_department idx_prof_entity_unique
idx_kb_entity idx_kb_department idx_kb_embedding
idx_rooms_entity idx_rooms_department idx_rooms_organizer idx_rooms_status idx_rooms_scheduled idx_rooms_livekit
idx_participants_phone idx_participants_email idx_participants_external idx_participants_type
idx_participants_professional idx_participants_phone_type
idx_room_part_room idx_room_part_participant idx_room_part_magic idx_room_part_unique
idx_room_events_room idx_room_events_name idx_room_events_room_time
idx_agent_events_room idx_agent_events_name idx_agent_events_room_time
idx_agent_usage_room idx_agent_usage_participant idx_agent_usage_entity idx_agent_usage_department
idx_agent_usage_start idx_agent_usage_entity_date idx_agent_usage_active
idx_recordings_room idx_recordings_egress idx_recordings_purge idx_recordings_status
""".split()


@pytest.fixture(scope="module")
def scratch_url(database_url):
    """A separate, empty database on the same server."""
    admin = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute("DROP DATABASE IF EXISTS meetings_migrations")
        connection.execute("CREATE DATABASE meetings_migrations")
    yield sqlalchemy_url(admin.replace("/meetings_test", "/meetings_migrations"))


def test_upgrade_downgrade_upgrade(scratch_url):
    upgrade_to_head(scratch_url)
    downgrade_to_base(scratch_url)
    engine = create_engine(scratch_url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        tables = (
            connection.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            )
            .scalars()
            .all()
        )
        types = connection.execute(text("SELECT typname FROM pg_type WHERE typtype = 'e'")).scalars().all()
    assert tables == [] and types == []
    upgrade_to_head(scratch_url)


def test_models_and_migrations_do_not_drift(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
        assert compare_metadata(context, metadata) == []


def test_every_spec_index_exists_under_its_name(engine):
    with engine.connect() as connection:
        present = set(
            connection.execute(text("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")).scalars()
        )
    assert sorted(set(SPEC_INDEXES) - present) == []


def test_embedding_index_is_hnsw_with_cosine_ops(engine):
    with engine.connect() as connection:
        definition = connection.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_kb_embedding'")
        ).scalar()
    assert "USING hnsw" in definition and "vector_cosine_ops" in definition


def test_embeddings_are_stored_inline_not_in_the_toast_table(engine):
    # pgvector's default, EXTERNAL, moves a chunk's vector out of its row and makes exact search fetch
    # each candidate's vector through the TOAST index (migration 20261202_kb_embedding_inline)
    with engine.connect() as connection:
        storage = connection.execute(
            text(
                "SELECT attstorage FROM pg_attribute "
                "WHERE attrelid = CAST('knowledge_base' AS regclass) AND attname = 'embedding'"
            )
        ).scalar()
    assert storage == "m"  # MAIN: in the row, out of it only when the row could not fit a page


@pytest.fixture(scope="module")
def owner_url(database_url):
    """A database owned by a login role that is no superuser, as the RDS master user is: the policies
    forced on the tables hold for it. pgvector is created beforehand, as rds_superuser would."""
    admin = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute("DROP DATABASE IF EXISTS meetings_owned")
        connection.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'meetings_test_owner') THEN "
            "CREATE ROLE meetings_test_owner LOGIN CREATEROLE; END IF; END $$"
        )
        connection.execute("CREATE DATABASE meetings_owned OWNER meetings_test_owner")
    owned = admin.replace("/meetings_test", "/meetings_owned")
    with psycopg.connect(owned, autocommit=True) as connection:
        connection.execute("CREATE EXTENSION IF NOT EXISTS vector")
    user = owned.split("://", 1)[1].split("@", 1)[0]
    return sqlalchemy_url(owned.replace(f"://{user}@", "://meetings_test_owner@", 1))


def test_the_migrations_run_as_an_owner_that_is_no_superuser(owner_url):
    upgrade_to_head(owner_url)
    with psycopg.connect(owner_url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        powers = connection.execute(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
    assert powers == (False, False)


def test_segments_stored_before_rendering_are_rendered_as_new_ones(owner_url):
    """The rendering revision renders the rows already stored exactly as its trigger renders new ones,
    as an owner the row-level security policies hold for."""
    from alembic import command

    from meetings.migrate import alembic_config

    upgrade_to_head(owner_url)
    owner = owner_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(owner) as connection:
        connection.execute("SELECT set_config('app.scope', 'manager', true)")
        entity = connection.execute(
            "INSERT INTO entities (name, type) VALUES ('Rendering clinic', 'medical_clinic') RETURNING id"
        ).fetchone()[0]
        connection.execute(
            "INSERT INTO rooms (id, livekit_room_id, title, entity_id, max_participants, scheduled_at)"
            " VALUES ('rendering-room', 'meeting-rendering', 'Visit', %s, 5, now())",
            (entity,),
        )
        connection.cursor().executemany(
            "INSERT INTO transcript_segments (room_id, speaker_name, speaker_type, start_seconds,"
            " end_seconds, text, language, confidence) VALUES ('rendering-room', %s, 'CLIENT', %s, %s, %s, %s, %s)",
            [
                ('Dr. "Ana"', 0, 1.5, "a <b> & \u00e9 --> c", "pt-BR", None),
                ("Maria", 3599.999, 3600, 'line\none "two"', None, 1.0),
            ],
        )
        query = "SELECT id, rendered_json, rendered_cue_timing FROM transcript_segments ORDER BY id"
        rendered_on_insert = connection.execute(query).fetchall()

    command.downgrade(alembic_config(owner_url), "20261201_knowledge_terms")
    upgrade_to_head(owner_url)

    with psycopg.connect(owner) as connection:
        connection.execute("SELECT set_config('app.scope', 'manager', true)")
        assert connection.execute(query).fetchall() == rendered_on_insert
    assert len(rendered_on_insert) == 2
    assert rendered_on_insert[1][2] == "00:59:59.999 --> 01:00:00.000"
