"""What the agent's collaborators (the question answerer, the suggestion advisor, the assistant) use,
built once when the meeting starts: they get this, never the meeting itself."""

from dataclasses import dataclass

from livekit.agents import APIConnectOptions, llm

from meetings.manager.knowledge.retrieval import RetrievedChunk
from meetings.secretary.events.models import AgentEventName

from .events import EventLog
from .knowledge import KnowledgeSource
from .room_gateway import Human, RoomGateway
from .usage import UsageMeter


@dataclass(frozen=True)
class MeetingServices:
    instructions: str
    llm: llm.LLM
    llm_conn_options: APIConnectOptions
    usage: UsageMeter
    events: EventLog
    room: RoomGateway
    knowledge: KnowledgeSource
    kb_results: int

    async def say_to(
        self, human: Human, text: str, *, topic: str, attributes: dict[str, str] | None = None
    ) -> None:
        """Sends text to one participant only; a failure is an AGENT_ERROR."""
        try:
            await self.room.send_text(
                text, topic=topic, destination_identities=[human.identity], attributes=attributes
            )
        except Exception as exc:
            await self.events.error("room", exc, participant_id=human.participant_id)

    async def retrieve(self, query: str, *, participant_id: int | None, purpose: str) -> list[RetrievedChunk]:
        """Searches the knowledge base and logs CONTEXT_RETRIEVED (written with the event that follows
        it: the answer, the suggestion or an error); a failure yields no passages."""
        self.usage.kb_queries += 1
        try:
            passages = await self.knowledge.search(query, k=self.kb_results)
        except Exception as exc:
            await self.events.error("retrieval", exc, participant_id=participant_id, purpose=purpose)
            return []
        await self.events.record(
            AgentEventName.CONTEXT_RETRIEVED,
            participant_id=participant_id,
            content=query,
            metadata={
                "purpose": purpose,
                "chunks": [
                    {
                        "chunk_id": p.id,
                        "document_name": p.document_name,
                        "page": p.page,
                        "department_id": p.department_id,
                        "score": round(p.score, 4),
                    }
                    for p in passages
                ],
            },
            defer=True,
        )
        return passages
