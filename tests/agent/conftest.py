"""A meeting ready to run: entity, department, room, a professional and a client, a seeded knowledge
base with real MiniLM embeddings, and the agent wired to fakes for the room, the LLM and the STT."""

import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from agent_container.meeting_agent.config import AgentConfig
from agent_container.meeting_agent.knowledge import DatabaseKnowledge
from agent_container.meeting_agent.meeting import MeetingAgent
from agent_container.meeting_agent.registration import load_meeting_context
from agent_container.meeting_agent.room_gateway import Human
from agent_container.meeting_agent.store import Store
from meetings.db_roles import AGENT_ROLE
from meetings.manager.knowledge.models import KnowledgeChunk
from meetings.meeting_protocol import participant_identity
from meetings.secretary.participants.models import Participant, ParticipantType, RoomParticipant
from meetings.secretary.rooms.models import Room
from tests.agent.fakes import CodedSpeechSTT, FakeRoomGateway, ScriptedLLM
from tests.factories import make_department, make_entity, make_professional, phone, unique

SCOPE = "SELECT set_config('app.scope', '{}', true)"

TEST_CONFIG = AgentConfig(
    display_name="Test Assistant",
    suggestion_interval_seconds=60.0,
    suggestion_min_new_chars=40,
    suggestion_min_score=0.3,
    usage_flush_seconds=60.0,
    stt_restart_delay_seconds=0.0,
    stt_drain_seconds=1.0,
)


@pytest.fixture(scope="session")
def embedder():
    from meetings.embeddings import get_embedder

    return get_embedder()


@pytest.fixture
def store(db) -> Store:
    """The agent's database access, inside the test's rolled-back transaction."""

    @contextmanager
    def test_session():
        db.commit()  # ends the test's own unit of work (a savepoint), so the store's work begins its own
        # As the agent connects: its own role, its own row-level security scope (set on the test's
        # connection, outside the session, whose transaction the store begins itself).
        connection = db.get_bind()
        connection.execute(text(f"SET ROLE {AGENT_ROLE}; {SCOPE.format('agent')}"))
        try:
            yield db
        finally:
            connection.execute(text(f"RESET ROLE; {SCOPE.format('manager')}"))

    return Store(session_scope=test_session, max_concurrency=1)  # one shared session


def add_chunks(
    db, embedder, *, entity, department=None, document_name: str, pages: dict[int, str]
) -> list[KnowledgeChunk]:
    """Stores a READY document and its pages as knowledge-base chunks embedded by the real model, as
    ingestion leaves them (the search reads which documents a department overrides from the documents)."""
    from meetings.manager.knowledge.models import DocumentStatus, KnowledgeDocument

    db.add(
        KnowledgeDocument(
            entity_id=entity.id,
            department_id=department.id if department else None,
            document_name=document_name,
            status=DocumentStatus.READY,
            chunk_count=len(pages),
            page_count=max(pages),
        )
    )
    texts = list(pages.values())
    vectors = embedder.embed(texts)
    chunks = [
        KnowledgeChunk(
            entity_id=entity.id,
            department_id=department.id if department else None,
            document_name=document_name,
            chunk_text=text,
            embedding=vector.tolist(),
            chunk_metadata={"page": page, "chunk_index": index, "total_chunks": len(pages)},
        )
        for index, ((page, text), vector) in enumerate(zip(pages.items(), vectors, strict=True))
    ]
    db.add_all(chunks)
    db.flush()
    return chunks


def add_human(db, room, kind: ParticipantType, name: str) -> Human:
    professional = make_professional(db, name=name) if kind == ParticipantType.PROFESSIONAL else None
    participant = Participant(
        name=name, type=kind, phone_number=phone(), professional_id=professional.id if professional else None
    )
    db.add(participant)
    db.flush()
    db.add(RoomParticipant(room_id=room.id, participant_id=participant.id))
    db.flush()
    return Human(
        identity=participant_identity(participant.id), participant_id=participant.id, type=kind, name=name
    )


@dataclass
class MeetingSetup:
    db: object
    entity: object
    department: object
    room: Room
    professional: Human
    client: Human
    gateway: FakeRoomGateway = field(default_factory=FakeRoomGateway)


@pytest.fixture
def meeting_setup(db) -> MeetingSetup:
    entity = make_entity(db, default_instructions="Speak as the Sunrise Clinic team.")
    department = make_department(
        db, entity, name=unique("Cardiology"), instructions="Focus on cardiology follow-up."
    )
    room = Room(
        id=str(uuid.uuid4()),
        livekit_room_id=unique("lk-room"),
        title="Follow-up consultation",
        entity_id=entity.id,
        department_id=department.id,
        custom_prompt="The client is recovering from a stent procedure.",
        scheduled_at=datetime.now(UTC) + timedelta(hours=1),
        max_participants=10,
    )
    db.add(room)
    db.flush()
    professional = add_human(db, room, ParticipantType.PROFESSIONAL, "Dr. Ana")
    client = add_human(db, room, ParticipantType.CLIENT, "Bruno")
    return MeetingSetup(
        db=db, entity=entity, department=department, room=room, professional=professional, client=client
    )


@pytest.fixture
def build_meeting(meeting_setup, store, embedder):
    """Builds the agent for the set-up meeting with the given LLM, STT and config changes."""

    built: list[MeetingAgent] = []

    def build(*, llm: ScriptedLLM | None = None, stt=None, knowledge=None, **config_changes) -> MeetingAgent:
        context = load_meeting_context(db=meeting_setup.db, room_id=meeting_setup.room.id)
        meeting = MeetingAgent(
            config=TEST_CONFIG.model_copy(update=config_changes),
            context=context,
            store=store,
            gateway=meeting_setup.gateway,
            llm=llm or ScriptedLLM([]),
            stt=stt or CodedSpeechSTT({}),
            knowledge=knowledge
            or DatabaseKnowledge(
                store=store,
                embedder=embedder,
                entity_id=context.entity_id,
                department_id=context.department_id,
            ),
            agent_name=TEST_CONFIG.display_name,
        )
        built.append(meeting)
        return meeting

    yield build
    for meeting in built:  # a meeting the test did not close must not flush into the next test
        recorder = getattr(meeting, "recorder", None)
        if recorder is not None and recorder._task is not None:
            recorder._task.cancel()
