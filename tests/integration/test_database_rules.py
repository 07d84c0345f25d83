"""Every rule the database holds: a bad row is rejected, naming the rule it broke."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from meetings.identity.roles import UserRole
from meetings.manager.knowledge.models import KnowledgeChunk
from meetings.secretary.agent_usage.models import AgentUsage
from meetings.secretary.events.models import AgentSessionEvent, RoomEvent
from meetings.secretary.participants.models import ParticipantType, RoomParticipant
from meetings.secretary.recordings.models import Recording
from meetings.secretary.rooms.models import RoomStatus
from meetings.settings import get_settings
from tests.factories import (
    link_professional,
    make_department,
    make_entity,
    make_participant,
    make_professional,
    make_room,
    make_user,
    password_hash,
)
from tests.support.roles import as_harness

NOW = datetime.now(UTC)


@pytest.fixture(autouse=True)
def harness_role(db):
    """The schema's own rules, whoever writes: rows are written as the harness role (what each service
    role may write is tested in test_database_roles.py)."""
    with as_harness(db):
        yield


def rejected(db, build, constraint: str) -> None:
    """Asserts that flushing what `build` adds fails on `constraint`, and leaves the session usable."""
    savepoint = db.begin_nested()
    with pytest.raises(DBAPIError) as caught:
        result = build()
        if result is not None and not isinstance(result, (str, bytes)):
            db.add(result)
        db.flush()
    savepoint.rollback()
    assert caught.value.orig.diag.constraint_name == constraint


def vector(value: float = 0.1) -> list[float]:
    return [value] * get_settings().embedding_dim


def chunk(entity, department=None, **fields) -> KnowledgeChunk:
    return KnowledgeChunk(
        **{
            "entity_id": entity.id,
            "department_id": department.id if department else None,
            "document_name": "faq.md",
            "chunk_text": "Opening hours are 8 to 18.",
            "embedding": vector(),
            "chunk_metadata": {"page": 1, "chunk_index": 0, "total_chunks": 1},
            **fields,
        }
    )


@pytest.fixture
def graph(db):
    """One row in every table that has updated_at."""
    entity = make_entity(db)
    department = make_department(db, entity)
    user = make_user(db, role=UserRole.ENTITY_ADMIN, entity=entity)
    professional = make_professional(db)
    link = link_professional(db, professional, entity, department)
    kb = chunk(entity, department)
    db.add(kb)
    room = make_room(db, entity, department)
    agent = make_participant(db, type=ParticipantType.AGENT, name="Assistant")
    seat = RoomParticipant(room_id=room.id, participant_id=agent.id)
    usage = AgentUsage(room_id=room.id, participant_id=agent.id, session_start=NOW, data={})
    db.add_all([seat, usage])
    db.execute(text("INSERT INTO login_throttles (key) VALUES ('address:someone@example.com')"))
    db.execute(
        text("INSERT INTO knowledge_documents (entity_id, document_name) VALUES (:e, 'faq.md')"),
        {"e": entity.id},
    )
    db.flush()
    return dict(
        entity=entity,
        department=department,
        user=user,
        professional=professional,
        link=link,
        room=room,
        agent=agent,
        usage=usage,
    )


TABLES_WITH_UPDATED_AT = [
    "users",
    "entities",
    "departments",
    "professionals",
    "professional_entities",
    "knowledge_base",
    "knowledge_documents",
    "login_throttles",
    "rooms",
    "participants",
    "room_participants",
    "agent_usage",
    "webhook_endpoints",
    "note_templates",
    "visit_notes",
]


@pytest.mark.parametrize("table", TABLES_WITH_UPDATED_AT)
def test_updated_at_is_set_by_trigger_on_every_update(db, graph, table):
    db.execute(text(f"UPDATE {table} SET updated_at = '2000-01-01T00:00:00Z'"))
    stale = db.execute(text(f"SELECT count(*) FROM {table} WHERE updated_at < '2001-01-01'")).scalar()
    assert stale == 0


def test_every_table_with_updated_at_has_the_trigger(db):
    with_column = set(
        db.execute(
            text(
                "SELECT table_name FROM information_schema.columns WHERE column_name = 'updated_at' "
                "AND table_schema = 'public'"
            )
        ).scalars()
    )
    assert with_column == set(TABLES_WITH_UPDATED_AT)


def test_agent_usage_duration_is_calculated_when_the_session_ends(db, graph):
    usage = graph["usage"]
    db.execute(
        text("UPDATE agent_usage SET session_end = session_start + interval '95 seconds' WHERE id = :id"),
        {"id": usage.id},
    )
    assert (
        db.execute(text("SELECT duration_seconds FROM agent_usage WHERE id = :id"), {"id": usage.id}).scalar()
        == 95
    )


def test_agent_usage_duration_stays_empty_while_active(db, graph):
    assert (
        db.execute(
            text("SELECT duration_seconds FROM agent_usage WHERE id = :id"), {"id": graph["usage"].id}
        ).scalar()
        is None
    )


def test_agent_usage_needs_an_agent_participant(db, graph):
    client = make_participant(db)
    rejected(
        db,
        lambda: AgentUsage(room_id=graph["room"].id, participant_id=client.id, session_start=NOW, data={}),
        "chk_agent_usage_participant_agent",
    )


def test_agent_usage_session_cannot_end_before_it_starts(db, graph):
    rejected(
        db,
        lambda: AgentUsage(
            room_id=graph["room"].id,
            participant_id=graph["agent"].id,
            session_start=NOW,
            session_end=NOW - timedelta(seconds=1),
            data={},
        ),
        "ck_agent_usage_session_order",
    )


def test_recording_purge_at_is_created_at_plus_retention(db, graph):
    created = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    recording = Recording(
        room_id=graph["room"].id,
        livekit_egress_id="EG_1",
        s3_bucket="b",
        s3_key="recordings/1.mp4",
        retention_days=90,
        created_at=created,
    )
    db.add(recording)
    db.flush()
    db.refresh(recording)
    assert recording.purge_at == created + timedelta(days=90)


def test_recording_retention_must_be_30_90_or_365(db, graph):
    rejected(
        db,
        lambda: Recording(
            room_id=graph["room"].id,
            livekit_egress_id="EG_2",
            s3_bucket="b",
            s3_key="recordings/2.mp4",
            retention_days=60,
        ),
        "ck_recordings_chk_retention_days",
    )


def test_recording_s3_key_is_unique(db, graph):
    db.add(
        Recording(
            room_id=graph["room"].id,
            livekit_egress_id="EG_3",
            s3_bucket="b",
            s3_key="k.mp4",
            retention_days=30,
        )
    )
    db.flush()
    rejected(
        db,
        lambda: Recording(
            room_id=graph["room"].id,
            livekit_egress_id="EG_4",
            s3_bucket="b",
            s3_key="k.mp4",
            retention_days=30,
        ),
        "uq_recordings_s3_key",
    )


def test_room_with_recordings_cannot_be_deleted(db):
    room = make_room(db)
    db.add(
        Recording(room_id=room.id, livekit_egress_id="EG_5", s3_bucket="b", s3_key="r.mp4", retention_days=30)
    )
    db.flush()
    rejected(
        db,
        lambda: db.execute(text("DELETE FROM rooms WHERE id = :id"), {"id": room.id}) and None,
        "fk_recordings_room_id_rooms",
    )


def test_room_with_agent_usage_cannot_be_deleted(db, graph):
    rejected(
        db,
        lambda: db.execute(text("DELETE FROM rooms WHERE id = :id"), {"id": graph["room"].id}) and None,
        "fk_agent_usage_room_id_rooms",
    )


def test_manager_cannot_belong_to_an_entity(db):
    entity = make_entity(db)
    rejected(db, lambda: make_user(db, role=UserRole.MANAGER, entity=entity), "ck_users_role_entity")


def test_entity_admin_must_belong_to_an_entity(db):
    rejected(db, lambda: make_user(db, role=UserRole.ENTITY_ADMIN), "ck_users_role_entity")


def test_user_email_is_unique(db):
    make_user(db, email="same@example.com")
    rejected(db, lambda: make_user(db, email="same@example.com"), "idx_users_email")


def test_user_password_must_be_a_bcrypt_hash_of_cost_10_or_more(db):
    rejected(db, lambda: make_user(db, password="plain-text"), "ck_users_password_bcrypt")
    weak = "$2b$04$" + "a" * 53
    rejected(db, lambda: make_user(db, password=weak), "ck_users_password_bcrypt")


@pytest.mark.parametrize("number", ["11987654321", "+0551198765432", "+55 11 98765", "+1234567890123456"])
def test_phone_numbers_must_be_e164(db, number):
    rejected(db, lambda: make_user(db, phone_number=number), "ck_users_phone_e164")
    rejected(db, lambda: make_professional(db, phone_number=number), "ck_professionals_phone_e164")
    rejected(db, lambda: make_participant(db, phone_number=number), "ck_participants_phone_e164")


def test_professional_participant_needs_its_professional(db):
    rejected(
        db,
        lambda: make_participant(db, type=ParticipantType.PROFESSIONAL),
        "ck_participants_type_professional",
    )


def test_non_professional_participant_has_no_professional(db):
    professional = make_professional(db)
    rejected(
        db,
        lambda: make_participant(db, type=ParticipantType.CLIENT, professional_id=professional.id),
        "ck_participants_type_professional",
    )


@pytest.mark.parametrize("value", [1, 1001])
def test_entity_max_participants_between_2_and_1000(db, value):
    rejected(db, lambda: make_entity(db, max_participants=value), "ck_entities_max_participants_range")


def test_entity_retention_must_be_30_90_or_365(db):
    rejected(db, lambda: make_entity(db, recording_retention_days=31), "ck_entities_retention_days_choice")


def test_instructions_are_at_most_8000_characters(db):
    rejected(
        db,
        lambda: make_entity(db, default_instructions="x" * 8001),
        "ck_entities_default_instructions_length",
    )
    entity = make_entity(db, default_instructions="x" * 8000)
    rejected(
        db, lambda: make_department(db, entity, instructions="x" * 8001), "ck_departments_instructions_length"
    )


def test_active_entity_names_are_unique_ignoring_case(db):
    make_entity(db, name="Clinica Sol")
    rejected(db, lambda: make_entity(db, name="CLINICA SOL"), "uq_entities_active_name")


def test_inactive_entity_frees_its_name(db):
    make_entity(db, name="Clinica Lua", active=False)
    assert make_entity(db, name="Clinica Lua").id


def test_department_names_are_unique_per_entity(db):
    entity, other = make_entity(db), make_entity(db)
    make_department(db, entity, name="Cardiology")
    make_department(db, other, name="Cardiology")
    rejected(db, lambda: make_department(db, entity, name="cardiology"), "uq_departments_entity_active_name")


def test_room_capacity_cannot_exceed_its_entity(db):
    entity = make_entity(db, max_participants=10)
    rejected(db, lambda: make_room(db, entity, max_participants=11), "chk_room_capacity")
    room = make_room(db, entity, max_participants=10)
    rejected(
        db,
        lambda: (
            db.execute(text("UPDATE rooms SET max_participants = 12 WHERE id = :id"), {"id": room.id})
            and None
        ),
        "chk_room_capacity",
    )


def test_independent_room_has_no_entity_limit(db):
    assert make_room(db, None, max_participants=500).id


def test_room_custom_prompt_is_at_most_4000_characters(db):
    rejected(db, lambda: make_room(db, custom_prompt="x" * 4001), "ck_rooms_custom_prompt_length")


def test_room_department_must_belong_to_its_entity(db):
    entity, other = make_entity(db), make_entity(db)
    foreign = make_department(db, other)
    rejected(db, lambda: make_room(db, entity, foreign), "fk_rooms_department_same_entity")


def test_room_department_needs_an_entity(db):
    department = make_department(db, make_entity(db))
    rejected(db, lambda: make_room(db, None, department), "ck_rooms_department_needs_entity")


def test_professional_link_department_must_belong_to_the_entity(db):
    entity, other = make_entity(db), make_entity(db)
    professional = make_professional(db)
    rejected(
        db,
        lambda: link_professional(db, professional, entity, make_department(db, other)),
        "fk_professional_entities_department_same_entity",
    )


def test_knowledge_chunk_department_must_belong_to_its_entity(db):
    entity, other = make_entity(db), make_entity(db)
    rejected(
        db, lambda: chunk(entity, make_department(db, other)), "fk_knowledge_base_department_same_entity"
    )


def test_active_professional_links_are_unique_even_without_department(db):
    entity, professional = make_entity(db), make_professional(db)
    link_professional(db, professional, entity)
    rejected(db, lambda: link_professional(db, professional, entity), "idx_prof_entity_unique")


def test_inactive_professional_link_can_be_recreated(db):
    entity, professional = make_entity(db), make_professional(db)
    link = link_professional(db, professional, entity)
    link.active = False
    db.flush()
    assert link_professional(db, professional, entity).id != link.id


def test_a_participant_external_id_is_unique_per_entity_only(db):
    first, second = make_entity(db), make_entity(db)
    make_participant(db, external_id="ext-1", entity_id=first.id)
    make_participant(db, external_id="ext-1", entity_id=second.id)  # another tenant: allowed
    rejected(
        db,
        lambda: make_participant(db, external_id="ext-1", entity_id=first.id),
        "uq_participants_entity_external",
    )


def test_knowledge_chunk_text_is_at_most_2000_characters(db):
    entity = make_entity(db)
    rejected(db, lambda: chunk(entity, chunk_text="x" * 2001), "ck_knowledge_base_chunk_text_length")


@pytest.mark.parametrize(
    "metadata", [{}, {"page": 1, "chunk_index": 0}, {"page": "1", "chunk_index": 0, "total_chunks": 1}]
)
def test_knowledge_chunk_metadata_has_page_and_chunk_positions(db, metadata):
    entity = make_entity(db)
    rejected(db, lambda: chunk(entity, chunk_metadata=metadata), "ck_knowledge_base_metadata_shape")


def test_knowledge_embedding_has_the_configured_dimension(db):
    entity = make_entity(db)
    savepoint = db.begin_nested()
    with pytest.raises(DBAPIError, match="expected .* dimensions"):
        db.add(chunk(entity, embedding=[0.1] * (get_settings().embedding_dim + 1)))
        db.flush()
    savepoint.rollback()


def test_room_event_names_come_from_the_list(db, graph):
    rejected(
        db,
        lambda: RoomEvent(room_id=graph["room"].id, event_name="ROOM_EXPLODED", data={}),
        "ck_room_events_event_name_known",
    )


def test_agent_event_names_come_from_the_list(db, graph):
    data = {"participant_id": graph["agent"].id, "content": "hi", "metadata": {}}
    rejected(
        db,
        lambda: AgentSessionEvent(room_id=graph["room"].id, event_name="AGENT_DANCED", data=data),
        "ck_agent_session_events_event_name_known",
    )


@pytest.mark.parametrize(
    "data",
    [{}, {"participant_id": "7", "content": "x", "metadata": {}}, {"participant_id": 7, "content": "x"}],
)
def test_agent_event_data_has_participant_content_and_metadata(db, graph, data):
    rejected(
        db,
        lambda: AgentSessionEvent(room_id=graph["room"].id, event_name="AGENT_JOINED", data=data),
        "ck_agent_session_events_data_shape",
    )


@pytest.mark.parametrize("table", ["room_events", "agent_session_events"])
def test_event_logs_are_append_only(db, graph, table):
    room_id = graph["room"].id
    data = {"participant_id": graph["agent"].id, "content": "x", "metadata": {}}
    name = "ROOM_CREATED" if table == "room_events" else "AGENT_JOINED"
    db.add(
        RoomEvent(room_id=room_id, event_name=name, data=data)
        if table == "room_events"
        else AgentSessionEvent(room_id=room_id, event_name=name, data=data)
    )
    db.flush()
    rejected(
        db, lambda: db.execute(text(f"UPDATE {table} SET data = '{{}}'")) and None, "chk_events_append_only"
    )


@pytest.mark.parametrize(
    "path",
    [
        [RoomStatus.COMPLETED],
        [RoomStatus.ACTIVE, RoomStatus.SCHEDULED],
        [RoomStatus.CANCELED, RoomStatus.ACTIVE],
        [RoomStatus.ACTIVE, RoomStatus.COMPLETED, RoomStatus.CANCELED],
    ],
)
def test_room_status_only_moves_forward(db, path):
    room = make_room(db)
    *allowed, forbidden = path
    for status in allowed:
        db.execute(text("UPDATE rooms SET status = :s WHERE id = :id"), {"s": status.value, "id": room.id})
    rejected(
        db,
        lambda: (
            db.execute(
                text("UPDATE rooms SET status = :s WHERE id = :id"), {"s": forbidden.value, "id": room.id}
            )
            and None
        ),
        "chk_room_status_transition",
    )


def test_magic_link_token_is_stored_as_a_sha256(db, graph):
    client = make_participant(db)
    token = "0f8e4c52-7d1b-4b8a-9c3e-2a1b0c9d8e7f"
    rejected(
        db,
        lambda: RoomParticipant(
            room_id=graph["room"].id, participant_id=client.id, magic_link_token_hash=token
        ),
        "ck_room_participants_magic_link_token_hash_sha256",
    )


def test_room_participant_password_must_be_bcrypt(db, graph):
    client = make_participant(db)
    rejected(
        db,
        lambda: RoomParticipant(room_id=graph["room"].id, participant_id=client.id, password_hash="12345678"),
        "ck_room_participants_password_hash_bcrypt",
    )
    ok = RoomParticipant(
        room_id=graph["room"].id, participant_id=client.id, password_hash=password_hash("12345678")
    )
    db.add(ok)
    db.flush()


def test_participant_is_in_a_room_once(db, graph):
    rejected(
        db,
        lambda: RoomParticipant(room_id=graph["room"].id, participant_id=graph["agent"].id),
        "idx_room_part_unique",
    )
