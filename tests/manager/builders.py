"""Rows of other domains that manager tests need (rooms, agent participants, usage, knowledge)."""

from datetime import datetime, timedelta

from meetings.manager.knowledge.models import KnowledgeChunk, KnowledgeDocument
from meetings.secretary.agent_usage.models import AgentUsage
from meetings.secretary.participants.models import Participant, ParticipantType
from meetings.secretary.rooms.models import Room
from meetings.settings import get_settings
from tests.factories import phone, unique
from tests.support.roles import as_harness


def make_agent(db) -> Participant:
    agent = Participant(name="Assistant", type=ParticipantType.AGENT, phone_number=phone())
    db.add(agent)
    db.flush()
    return agent


def make_usage(
    db, room: Room, agent: Participant, start: datetime, minutes: float | None, department=None, **data
) -> AgentUsage:
    usage = AgentUsage(
        room_id=room.id,
        participant_id=agent.id,
        entity_id=room.entity_id,
        department_id=department.id if department else room.department_id,
        session_start=start,
        session_end=start + timedelta(minutes=minutes) if minutes is not None else None,
        data=data,
    )
    with as_harness(db):  # the agent writes usage, not the API
        db.add(usage)
    return usage


def make_knowledge(db, entity, department=None) -> tuple[KnowledgeDocument, KnowledgeChunk]:
    document = KnowledgeDocument(
        entity_id=entity.id,
        department_id=department.id if department else None,
        document_name=unique("faq") + ".md",
    )
    chunk = KnowledgeChunk(
        entity_id=entity.id,
        department_id=department.id if department else None,
        document_name=document.document_name,
        chunk_text="Opening hours are 8 to 18.",
        embedding=[0.1] * get_settings().embedding_dim,
        chunk_metadata={"page": 1, "chunk_index": 0, "total_chunks": 1},
    )
    db.add_all([document, chunk])
    db.flush()
    return document, chunk
