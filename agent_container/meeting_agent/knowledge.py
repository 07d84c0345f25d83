"""The knowledge base as the agent sees it: a text query in, ranked chunks with document and page out."""

import asyncio
from typing import Any, Protocol

from meetings.manager.knowledge.retrieval import RetrievedChunk, search_knowledge

from .store import Store


class KnowledgeSource(Protocol):
    async def search(self, query: str, *, k: int) -> list[RetrievedChunk]: ...


def source(passage: RetrievedChunk) -> dict[str, Any]:
    """A passage as cited: its document and page."""
    return {"document_name": passage.document_name, "page": passage.page}


def distinct_sources(passages: list[RetrievedChunk]) -> list[dict[str, Any]]:
    """Document/page pairs in rank order, each once."""
    seen: set[tuple[str, int]] = set()
    sources = []
    for passage in passages:
        key = (passage.document_name, passage.page)
        if key not in seen:
            seen.add(key)
            sources.append(source(passage))
    return sources


def format_excerpts(passages: list[RetrievedChunk]) -> str:
    """Passages as the model reads them: numbered, each with its document and page."""
    if not passages:
        return "Knowledge-base excerpts: none matched this question."
    lines = ["Knowledge-base excerpts (cite as [document, page]):"]
    for number, passage in enumerate(passages, start=1):
        lines.append(f"[{number}] {passage.document_name}, page {passage.page}:\n{passage.text}")
    return "\n\n".join(lines)


class DatabaseKnowledge:
    """The entity's knowledge base (department chunks first, as the retrieval service decides)."""

    def __init__(self, *, store: Store, embedder, entity_id: int | None, department_id: int | None):
        self.store = store
        self.embedder = embedder
        self.entity_id = entity_id
        self.department_id = department_id

    async def search(self, query: str, *, k: int) -> list[RetrievedChunk]:
        if self.entity_id is None or not query.strip():
            return []
        # Embedded before taking the store's lock (not through `search_knowledge_text`), so the model's
        # inference never holds up the meeting's transcript and event writes.
        embedding = await asyncio.to_thread(self.embedder.embed_query, query)
        return await self.store.run(
            lambda db: search_knowledge(
                db=db,
                entity_id=self.entity_id,
                department_id=self.department_id,
                query_embedding=embedding,
                query_text=query,
                k=k,
            )
        )
