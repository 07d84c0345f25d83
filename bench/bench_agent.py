"""Meeting agent: its own work per question (query embedding, retrieval, prompt assembly, the answer
sent and the CONTEXT_RETRIEVED / QUESTION_ANSWERED events committed) with an instant LLM, against the
bare retrieval (the same embedding and search_knowledge query in one session)."""

import asyncio
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))  # the agent package lives in agent_container/, beside the shared one
from support import bench_database, bench_session, connect_as, percentile, report  # noqa: E402

CHUNKS = 3000
DOCUMENTS = 30
QUESTIONS = 200
WARMUP = 10
QUESTION = "Can I stop taking clopidogrel after my stent?"


def seed(dimension: int) -> tuple[str, int, int]:
    """An entity with a department, a room and CHUNKS random unit vectors spread over DOCUMENTS."""
    import numpy as np

    from meetings.manager.departments.models import Department
    from meetings.manager.entities.models import Entity
    from meetings.manager.knowledge.models import KnowledgeChunk
    from meetings.secretary.rooms.models import Room

    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(CHUNKS, dimension)).astype("float32")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with bench_session() as db:
        entity = Entity(name="Bench Clinic", type="medical_clinic", default_instructions="Be brief.")
        db.add(entity)
        db.flush()
        department = Department(entity_id=entity.id, name="Cardiology", instructions="Cardiology follow-up.")
        db.add(department)
        db.flush()
        room = Room(
            id=str(uuid.uuid4()),
            livekit_room_id="bench-room",
            title="Bench meeting",
            entity_id=entity.id,
            department_id=department.id,
            scheduled_at=datetime.now(UTC) + timedelta(hours=1),
            max_participants=10,
        )
        db.add(room)
        db.add_all(
            KnowledgeChunk(
                entity_id=entity.id,
                department_id=department.id if i % 5 == 0 else None,
                document_name=f"document-{i % DOCUMENTS}.pdf",
                chunk_text=f"Chunk {i} of the clinic handbook about follow-up care and medication.",
                embedding=vectors[i].tolist(),
                chunk_metadata={"page": i // DOCUMENTS + 1, "chunk_index": i, "total_chunks": CHUNKS},
            )
            for i in range(CHUNKS)
        )
        db.commit()
        return room.id, entity.id, department.id


def instant_llm():
    """An LLM that answers at once, so only the agent's own work is timed."""
    from livekit.agents import llm

    class InstantStream(llm.LLMStream):
        async def _run(self) -> None:
            self._event_ch.send_nowait(
                llm.ChatChunk(id="r", delta=llm.ChoiceDelta(role="assistant", content="Twelve months."))
            )
            self._event_ch.send_nowait(
                llm.ChatChunk(
                    id="r",
                    usage=llm.CompletionUsage(completion_tokens=3, prompt_tokens=900, total_tokens=903),
                )
            )

    class InstantLLM(llm.LLM):
        def chat(self, *, chat_ctx, tools=None, conn_options=None, **_):
            return InstantStream(self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options)

    return InstantLLM()


class NullGateway:
    async def send_text(self, text, *, topic, destination_identities=None, attributes=None, **_) -> None:
        return None


async def measure(room_id: str, entity_id: int, department_id: int) -> tuple[list[float], list[float]]:
    from agent_container.meeting_agent.config import AgentConfig
    from agent_container.meeting_agent.knowledge import DatabaseKnowledge
    from agent_container.meeting_agent.meeting import MeetingAgent
    from agent_container.meeting_agent.registration import load_meeting_context
    from agent_container.meeting_agent.room_gateway import Human
    from agent_container.meeting_agent.store import Store
    from meetings.embeddings import get_embedder
    from meetings.manager.knowledge.retrieval import search_knowledge
    from meetings.secretary.participants.models import ParticipantType

    embedder = get_embedder()
    store = Store()
    context = await store.run(lambda db: load_meeting_context(db=db, room_id=room_id))
    meeting = MeetingAgent(
        config=AgentConfig(usage_flush_seconds=60),
        context=context,
        store=store,
        gateway=NullGateway(),
        llm=instant_llm(),
        stt=None,  # no audio in this benchmark
        knowledge=DatabaseKnowledge(
            store=store, embedder=embedder, entity_id=entity_id, department_id=department_id
        ),
        agent_name="Bench Assistant",
    )
    await meeting.start()
    asker = Human(identity="participant-1", participant_id=1, type=ParticipantType.CLIENT, name="Client")

    def bare() -> None:
        embedding = embedder.embed_query(QUESTION)
        with bench_session("agent") as db:
            search_knowledge(
                db=db, entity_id=entity_id, department_id=department_id, query_embedding=embedding, k=5
            )

    bare_times, agent_times = [], []
    for index in range(WARMUP + QUESTIONS):
        start = time.perf_counter()
        bare()
        bare_elapsed = time.perf_counter() - start
        start = time.perf_counter()
        await meeting.answerer.answer(asker, QUESTION, channel="chat")
        agent_elapsed = time.perf_counter() - start
        if index >= WARMUP:
            bare_times.append(bare_elapsed * 1000)
            agent_times.append(agent_elapsed * 1000)
    await meeting.close("benchmark done")
    return bare_times, agent_times


def main() -> None:
    with bench_database("meetings_bench_agent") as owner_url:
        from meetings.db_roles import AGENT_ROLE
        from meetings.settings import get_settings

        room_id, entity_id, department_id = seed(get_settings().embedding_dim)
        connect_as(owner_url, AGENT_ROLE)  # the agent's work runs as the agent connects
        bare_times, agent_times = asyncio.run(measure(room_id, entity_id, department_id))
    for label, fraction in (("p50", 0.50), ("p99", 0.99)):
        report(
            f"agent question overhead {label} ({CHUNKS} chunks, LLM excluded)",
            percentile(agent_times, fraction),
            "ms",
            floor=percentile(bare_times, fraction),
            floor_name="bare retrieval",
        )


if __name__ == "__main__":
    main()
