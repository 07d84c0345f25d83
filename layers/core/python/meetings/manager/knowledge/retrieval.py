"""Knowledge retrieval for one organization: the one search used by the API and by the meeting agent.

Candidate chunks (the department override):
- query without a department: the entity-wide chunks (department_id NULL) of the entity only;
- query in department D: the chunks of D, plus the entity-wide chunks whose document_name has no
  chunks in D (a department's version of a document replaces the entity-wide one). Chunks of the
  entity's other departments never count.

Plan: when the candidates are few (an upper bound from the documents' chunk counts), they are ranked
exactly: their rows come from the entity B-tree through a MATERIALIZED CTE, so the planner cannot
drift to the HNSW index and lose rows to the filter. Above the threshold the HNSW index answers, with
pgvector's iterative scan (relaxed order; more rows fetched, re-sorted here); should it return fewer than k rows, the
exact plan answers instead, so the caller never gets fewer than k when k exist. Each plan has its own
SQL text, and the HNSW text always runs under the same settings (sorting and sequential scans off,
set in a savepoint that is rolled back), so a statement psycopg prepares and caches stays right.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

# Above this many candidate chunks the filtered HNSW scan beats ranking every row exactly
# (bench/bench_knowledge_search.py measures both plans on both sides of it).
EXACT_SCAN_MAX_CHUNKS = 10_000
# The HNSW plan fetches more rows than asked and keeps the k nearest: relaxed-order iterative scans
# return near neighbours slightly out of order, and the extra rows buy recall for little time.
HNSW_MIN_FETCH = 100
HNSW_MIN_EF_SEARCH = 400

# The names the department overrides are read once (an InitPlan), not probed row by row.
_CANDIDATES = """
    kb.entity_id = :entity_id
    AND (
        kb.department_id = :department_id
        OR (
            kb.department_id IS NULL
            AND kb.document_name <> ALL (ARRAY(
                SELECT DISTINCT own.document_name FROM knowledge_base AS own
                WHERE own.entity_id = :entity_id AND own.department_id = :department_id
            ))
        )
    )
"""

_COLUMNS = "kb.id, kb.document_name, kb.department_id, kb.chunk_text, kb.metadata"

EXACT_SQL = text(
    f"""
    WITH candidates AS MATERIALIZED (
        SELECT {_COLUMNS}, kb.embedding FROM knowledge_base AS kb WHERE {_CANDIDATES}
    )
    SELECT id, document_name, department_id, chunk_text, metadata,
           embedding <=> CAST(:query AS vector) AS distance
    FROM candidates AS kb
    ORDER BY distance, id
    LIMIT :k
    """
)

# Run with sorting disabled, so the only plan left is the HNSW index scan (ordered by distance);
# relaxed_order may return rows slightly out of order, so the caller re-sorts them.
HNSW_SQL = text(
    f"""
    SELECT {_COLUMNS}, kb.embedding <=> CAST(:query AS vector) AS distance
    FROM knowledge_base AS kb
    WHERE {_CANDIDATES}
    ORDER BY kb.embedding <=> CAST(:query AS vector)
    LIMIT :k
    """
)

# An upper bound of the candidate rows (overrides not subtracted), from the documents' chunk counts.
CANDIDATE_COUNT_SQL = text(
    "SELECT COALESCE(SUM(chunk_count), 0) FROM knowledge_documents "
    "WHERE entity_id = :entity_id AND (department_id IS NULL OR department_id = :department_id)"
)


@dataclass(frozen=True)
class RetrievedChunk:
    id: int
    document_name: str
    department_id: int | None
    page: int
    chunk_index: int
    text: str
    score: float
    metadata: dict = field(default_factory=dict)


def vector_literal(values: Sequence[float]) -> str:
    """pgvector's text form of a vector, e.g. '[0.1,0.2]'."""
    return "[" + ",".join(repr(float(value)) for value in values) + "]"


def search_knowledge(
    *, db: Session, entity_id: int, department_id: int | None, query_embedding: Sequence[float], k: int = 5
) -> list[RetrievedChunk]:
    """Returns the k chunks of the entity (department override applied) nearest to the query, best first."""
    if k < 1:
        return []
    params = {
        "entity_id": entity_id,
        "department_id": department_id,
        "query": vector_literal(query_embedding),
        "k": k,
    }
    rows = None
    if db.execute(CANDIDATE_COUNT_SQL, params).scalar_one() > EXACT_SCAN_MAX_CHUNKS:
        rows = _hnsw_search(db, params)
        if len(rows) < k:
            rows = None
    if rows is None:
        rows = db.execute(EXACT_SQL, params).all()
    return [_chunk(row) for row in rows]


def _hnsw_search(db: Session, params: dict) -> list:
    """The filtered HNSW plan; its settings live in a savepoint that is rolled back, so they never leak."""
    fetch = max(HNSW_MIN_FETCH, 4 * params["k"])
    savepoint = db.begin_nested()
    try:
        for name, value in (
            ("enable_sort", "off"),
            ("enable_seqscan", "off"),
            ("hnsw.iterative_scan", "relaxed_order"),
            ("hnsw.ef_search", str(min(1000, max(HNSW_MIN_EF_SEARCH, fetch)))),
        ):
            db.execute(text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value})
        rows = db.execute(HNSW_SQL, {**params, "k": fetch}).all()
    finally:
        savepoint.rollback()
    return sorted(rows, key=lambda row: (row.distance, row.id))[: params["k"]]


def search_knowledge_text(
    *, db: Session, entity_id: int, department_id: int | None, query: str, k: int = 5, embedder=None
) -> list[RetrievedChunk]:
    """Embeds the query with the configured model and searches the entity's knowledge base."""
    if embedder is None:
        from meetings.embeddings import get_embedder

        embedder = get_embedder()
    return search_knowledge(
        db=db,
        entity_id=entity_id,
        department_id=department_id,
        query_embedding=embedder.embed_one(query),
        k=k,
    )


def _chunk(row) -> RetrievedChunk:
    metadata = dict(row.metadata or {})
    return RetrievedChunk(
        id=row.id,
        document_name=row.document_name,
        department_id=row.department_id,
        page=int(metadata.get("page", 1)),
        chunk_index=int(metadata.get("chunk_index", 0)),
        text=row.chunk_text,
        score=1.0 - float(row.distance),
        metadata=metadata,
    )
