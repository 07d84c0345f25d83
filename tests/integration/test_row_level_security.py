"""Row-level security per tenant: a session scoped to one entity running a query with no tenant filter
at all gets no row of another entity, from every table that holds a tenant's data."""

import importlib.util
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from meetings.db_roles import AGENT_ROLE
from meetings.db_scope import set_db_scope
from meetings.manager.consent.models import ConsentText
from meetings.manager.note_templates.models import NoteTemplate
from meetings.manager.users.models import UserRole
from meetings.models import metadata
from meetings.notifications.catalogue import EventType
from meetings.notifications.models import WebhookEndpoint
from meetings.notifications.outbox import emit
from meetings.secretary.consent.models import ConsentRecord
from meetings.secretary.events.models import AgentEventName, RoomEventName
from meetings.secretary.events.service import append_agent_event, append_room_event
from meetings.secretary.notes.requests import request_draft_note
from meetings.secretary.participants.models import ParticipantType
from meetings.secretary.retention.models import RetentionReceipt
from meetings.secretary.rooms.models import RoomStatus
from meetings.secretary.transcripts.service import record_transcript_segment
from tests.factories import (
    link_professional,
    make_department,
    make_entity,
    make_participant,
    make_professional,
    make_room,
    make_user,
)
from tests.manager.builders import make_agent, make_knowledge, make_usage
from tests.recordings.support import make_recording
from tests.secretary.helpers import add_to_room
from tests.support.roles import acting_as, as_harness

MIGRATION = Path(__file__).resolve().parents[2] / "migrations/versions/20261201_database_roles.py"
_spec = importlib.util.spec_from_file_location("database_roles_migration", MIGRATION)
roles_migration = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(roles_migration)
_visit_spec = importlib.util.spec_from_file_location(
    "visit_grants_migration", MIGRATION.with_name("20261201_visit_grants.py")
)
visit_migration = importlib.util.module_from_spec(_visit_spec)
_visit_spec.loader.exec_module(visit_migration)
_notes_spec = importlib.util.spec_from_file_location(
    "visit_notes_migration", MIGRATION.with_name("20261201_visit_notes.py")
)
notes_migration = importlib.util.module_from_spec(_notes_spec)
_notes_spec.loader.exec_module(notes_migration)
_terms_spec = importlib.util.spec_from_file_location(
    "knowledge_terms_migration", MIGRATION.with_name("20261201_knowledge_terms.py")
)
terms_migration = importlib.util.module_from_spec(_terms_spec)
_terms_spec.loader.exec_module(terms_migration)
TENANT_TABLES = {
    **roles_migration.TENANT_TABLES,
    **visit_migration.NEW_POLICIES,
    **notes_migration.NEW_POLICIES,
    **terms_migration.NEW_POLICIES,
}

# Tables without a policy, and why.
UNSCOPED_TABLES = {
    "login_throttles": "keyed by an email address before anyone is authenticated",
    "livekit_webhook_receipts": "LiveKit event ids, no tenant data",
    "professionals": "shared by the entities they work for (their links, professional_entities, are scoped)",
    "participants": "shared by rooms of several entities until participants carry their own entity",
    "webhook_deliveries": "no tenant key: reached from a scoped message and endpoint (a policy through them is next)",
    "webhook_attempts": "no tenant key: reached from a delivery (as above)",
}


def _tenant_of_row(table: str) -> str:
    key, _ = TENANT_TABLES[table]
    if key is not None:
        return f"{table}.{key}"
    return f"(SELECT rooms.entity_id FROM rooms WHERE rooms.id = {table}.room_id)"


def populate(db, entity) -> SimpleNamespace:
    """One row of every tenant table for `entity`."""
    department = make_department(db, entity)
    admin = make_user(db, role=UserRole.ENTITY_ADMIN, entity=entity)
    link_professional(db, make_professional(db), entity)
    make_knowledge(db, entity)
    room = make_room(db, entity=entity, status=RoomStatus.COMPLETED)
    add_to_room(db, room, make_participant(db))
    append_room_event(db=db, room_id=room.id, event_name=RoomEventName.ROOM_CREATED, data={})
    make_recording(db, room)
    agent = make_agent(db)
    with as_harness(db):  # the agent's writes
        append_agent_event(
            db=db,
            room_id=room.id,
            event_name=AgentEventName.AGENT_JOINED,
            participant_id=agent.id,
            content="hello",
            metadata={},
        )
    make_usage(db, room, agent, datetime.now(UTC), 5)
    with acting_as(db, AGENT_ROLE):
        record_transcript_segment(
            db=db,
            room_id=room.id,
            participant_id=None,
            speaker_name="Client",
            speaker_type=ParticipantType.CLIENT,
            start_seconds=1.0,
            end_seconds=2.0,
            text="Good morning.",
        )
    db.add(
        WebhookEndpoint(
            entity_id=entity.id, url="https://example.com/hook", event_types=["room.ended"], secret="whsec_x"
        )
    )
    db.flush()
    emit(db=db, entity_id=entity.id, type=EventType.ROOM_ENDED, data={"room_id": room.id})
    db.add(
        NoteTemplate(
            entity_id=entity.id,
            name="Follow-up",
            kind="progress_note",
            sections=[{"key": "plan", "title": "Plan", "instructions": "What was agreed."}],
        )
    )
    request_draft_note(db=db, room_id=room.id, entity_id=entity.id, department_id=None)
    with as_harness(db):  # consent and receipts
        text_row = ConsentText(
            entity_id=entity.id, language="en", version=1, recording_text="r", assistant_text="a"
        )
        db.add(text_row)
        db.flush()
        link = add_to_room(db, room, make_participant(db))
        db.add(
            ConsentRecord(
                room_id=room.id,
                participant_id=link.participant_id,
                consent_text_id=text_row.id,
                action="JOIN",
                recording=True,
                assistant=False,
            )
        )
        db.add(RetentionReceipt(room_id=room.id, purged={}, policy={}, content_sha256="0" * 64))
        db.flush()
    return SimpleNamespace(entity=entity, department=department, admin=admin, room=room)


@pytest.fixture
def two_clinics(db):
    return populate(db, make_entity(db)), populate(db, make_entity(db))


def scoped(db, scope: str, entity_id: int | None = None):
    db.flush()
    set_db_scope(db, scope, entity_id=entity_id)
    return db


def test_every_table_is_scoped_or_says_why_not(db):
    tables = set(metadata.tables)
    assert set(TENANT_TABLES) | set(UNSCOPED_TABLES) == tables
    assert not set(TENANT_TABLES) & set(UNSCOPED_TABLES)
    flags = db.execute(
        text(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"
        )
    ).all()
    secured = {name for name, enabled, forced in flags if enabled and forced}
    assert secured == set(TENANT_TABLES)


@pytest.mark.parametrize("table", sorted(TENANT_TABLES))
def test_an_entity_admin_session_without_a_tenant_filter_sees_only_its_entity(db, two_clinics, table):
    mine, theirs = two_clinics
    scoped(db, "entity", mine.entity.id)
    owners = db.execute(text(f"SELECT {_tenant_of_row(table)} FROM {table}")).scalars().all()
    assert owners and set(owners) == {mine.entity.id}


@pytest.mark.parametrize("table", sorted(TENANT_TABLES))
def test_a_session_with_no_scope_sees_nothing(db, two_clinics, table):
    db.flush()
    db.execute(text("SELECT set_config('app.scope', '', true)"))
    assert db.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0


def test_a_manager_sees_every_entity(db, two_clinics):
    mine, theirs = two_clinics
    scoped(db, "manager")
    rooms = set(db.execute(text("SELECT entity_id FROM rooms")).scalars())
    assert {mine.entity.id, theirs.entity.id} <= rooms


def test_an_entity_admin_cannot_write_another_entitys_row(db, two_clinics):
    mine, theirs = two_clinics
    scoped(db, "entity", mine.entity.id)
    savepoint = db.begin_nested()
    with pytest.raises(ProgrammingError, match="row-level security"):
        db.execute(
            text("INSERT INTO departments (entity_id, name) VALUES (:entity, 'Intruders')"),
            {"entity": theirs.entity.id},
        )
    savepoint.rollback()
    moved = db.execute(
        text("UPDATE departments SET name = name WHERE entity_id = :entity"), {"entity": theirs.entity.id}
    )
    assert moved.rowcount == 0  # invisible, so nothing to update


@pytest.mark.parametrize(
    ("scope", "visible", "hidden"),
    [
        ("auth", {"users"}, {"rooms", "knowledge_base", "departments"}),
        ("join", {"rooms", "room_participants", "room_events"}, {"users", "knowledge_base", "recordings"}),
        (
            "webhook",
            {"rooms", "recordings", "room_events"},
            {"users", "knowledge_base", "professional_entities"},
        ),
        # The retention purge deletes a room's transcript and consent records and logs its receipt.
        (
            "jobs",
            {
                "recordings",
                "knowledge_base",
                "knowledge_documents",
                "room_events",
                "transcript_segments",
                "consent_records",
                "retention_receipts",
                "visit_notes",  # the drafting job
                "note_templates",
                "agent_session_events",
                "agent_usage",
            },
            {"users", "consent_texts"},
        ),
        (
            "agent",
            {"rooms", "knowledge_base", "agent_session_events"},
            {"users", "recordings", "room_events"},
        ),
    ],
)
def test_narrow_paths_reach_only_their_tables(db, two_clinics, scope, visible, hidden):
    scoped(db, scope)
    for table in visible:
        assert db.execute(text(f"SELECT count(*) FROM {table}")).scalar() > 0, table
    for table in hidden:
        assert db.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, table


def test_the_scope_follows_the_session_into_its_next_transaction(engine):
    """Set once on the session, re-applied at every BEGIN: a commit does not drop it, and nothing of it
    outlives the transaction on the connection."""
    setting = text("SELECT current_setting('app.scope', true), current_setting('app.entity_id', true)")
    with set_db_scope(Session(engine), "entity", entity_id=42) as session:
        assert session.execute(setting).one() == ("entity", "42")
        session.commit()
        assert session.execute(setting).one() == ("entity", "42")
        raw = session.connection().connection.driver_connection
        session.commit()
        assert raw.execute("SELECT current_setting('app.scope', true)").fetchone()[0] in ("", None)
        raw.rollback()
