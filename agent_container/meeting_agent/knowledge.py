"""The knowledge base as the agent sees it: a text query in, ranked chunks with document and page out."""

import asyncio
from dataclasses import dataclass
from typing import Any, Protocol

from meetings.manager.knowledge.retrieval import search_knowledge

from .store import Store


@dataclass(frozen=True)
class Passage:
    """One retrieved chunk, as cited by the agent."""

    chunk_id: int
    document_name: str
    page: int | None
    text: str
    score: float
    department_id: int | None

    def source(self) -> dict[str, Any]:
        return {"document_name": self.document_name, "page": self.page}


class KnowledgeSource(Protocol):
    async def search(self, query: str, *, k: int) -> list[Passage]: ...


def distinct_sources(passages: list[Passage]) -> list[dict[str, Any]]:
    """Document/page pairs in rank order, each once."""
    seen: set[tuple[str, int | None]] = set()
    sources = []
    for passage in passages:
        key = (passage.document_name, passage.page)
        if key not in seen:
            seen.add(key)
            sources.append(passage.source())
    return sources


def format_excerpts(passages: list[Passage]) -> str:
    """Passages as the model reads them: numbered, each with its document and page."""
    if not passages:
        return "Knowledge-base excerpts: none matched this question."
    lines = ["Knowledge-base excerpts (cite as [document, page]):"]
    for number, passage in enumerate(passages, start=1):
        page = f"page {passage.page}" if passage.page is not None else "no page"
        lines.append(f"[{number}] {passage.document_name}, {page}:\n{passage.text}")
    return "\n\n".join(lines)


class DatabaseKnowledge:
    """The entity's knowledge base (department chunks first, as the retrieval service decides)."""

    def __init__(self, *, store: Store, embedder, entity_id: int | None, department_id: int | None):
        self.store = store
        self.embedder = embedder
        self.entity_id = entity_id
        self.department_id = department_id

    async def search(self, query: str, *, k: int) -> list[Passage]:
        if self.entity_id is None or not query.strip():
            return []
        embedding = await asyncio.to_thread(self.embedder.embed_one, query)
        chunks = await self.store.run(
            lambda db: search_knowledge(
                db=db, entity_id=self.entity_id, department_id=self.department_id, query_embedding=embedding, k=k
            )
        )
        return [
            Passage(
                chunk_id=chunk.id,
                document_name=chunk.document_name,
                page=chunk.page,
                text=chunk.text,
                score=float(chunk.score),
                department_id=chunk.department_id,
            )
            for chunk in chunks
        ]
