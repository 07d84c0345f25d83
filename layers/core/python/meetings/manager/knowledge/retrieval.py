"""Knowledge retrieval for one organization: the one search used by the API and by the meeting agent.

Candidate chunks (the department override):
- query without a department: the entity-wide chunks (department_id NULL) of the entity only;
- query in department D: the chunks of D, plus the entity-wide chunks whose document_name has no
  chunks in D (a department's version of a document replaces the entity-wide one; the names are read
  from D's documents with a chunk count). Chunks of the entity's other departments never count.
Both rankings below read only these candidates.

Ranking: with the question's text, hybrid. Two rankings of the candidates, the vector one (cosine
distance to the question's embedding) and the full-text one (PostgreSQL text search over each chunk's
heading and text, in its document's language, any of the question's words matching), are fused by
reciprocal rank fusion: a chunk scores the sum of 1 / (RRF_K + its position) over the rankings it is
in. RRF needs no calibration between a cosine distance and a ts_rank, and a chunk near the top of
both wins (bench/eval_retrieval.py compares it with each ranking alone). With only an embedding, the
vector ranking alone answers. `score` is always the cosine similarity; the order is the fused one.

Plan: when the candidates are few (an upper bound from the documents' chunk counts), they are ranked
exactly: their ids come from the entity B-tree through a MATERIALIZED CTE, so the planner cannot
drift to the HNSW index and lose rows to the filter. Above the threshold the HNSW index answers the
vector ranking, through `kb_nearest_chunks` (whose own SET clauses turn sorting and sequential scans
off and pgvector's iterative scan on for its body only); should the result have fewer than k rows, the
exact plan answers instead, so the caller never gets fewer than k when k exist. The text ranking reads
`knowledge_terms` (one row per chunk and lexeme, B-tree keyed by entity, configuration and lexeme):
row-level security keeps a GIN index on `search_vector` from answering `@@`, which is not leakproof,
while B-tree equality is; it is BM25-like (each of the question's words that a chunk contains adds its
inverse document frequency times its ts_rank in the chunk), and on the index plan it leaves out the
question's everyday words.

Each plan's statement is the body of a PL/pgSQL function (caller's rights: the policies apply), called
in one statement through the session's psycopg connection (`meetings.db_scope.fetch_rows`: a search
that opens its transaction goes in one pipeline with its BEGIN and scope), its rows read as tuples: `kb_exact_chunks`
and `kb_nearest_chunks` rank by vector alone, `kb_hybrid_chunks_exact` and `kb_hybrid_chunks_indexed`
fuse both rankings (migrations 20261201_knowledge_terms, 20261202_kb_exact_chunks and
20261202_kb_hybrid_chunks hold the SQL). The proxy-safe connection settings never prepare statements
server-side (meetings.db), so a statement outside a function would be planned on every search; a
function's statements are parsed once per database session and their plan can be kept, which pins no
RDS Proxy connection. The ranking's constants below are the functions' parameters.
"""

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from sqlalchemy import text
from sqlalchemy.orm import Session

from meetings.db_scope import fetch_rows
from meetings.manager.knowledge.language import SEARCH_CONFIGS
from meetings.settings import get_settings

Mode = Literal["hybrid", "vector", "text"]

# Above this many candidate chunks the filtered HNSW scan beats ranking every row exactly
# (bench/bench_knowledge_search.py measures both plans on both sides of it).
EXACT_SCAN_MAX_CHUNKS = 10_000
# RRF's constant: small, so the first rows of a ranking count clearly more than the tenth (5, 10 and
# 20 did alike on the evaluation's tune half, 60 worse on both halves).
RRF_K = 10
# Rows each ranking hands to the fusion (at least k).
FUSION_DEPTH = 20
# The weight of each ranking in the fusion, picked on the evaluation's tune half
# (bench/eval_retrieval.py --vector-weight): 2.5 put the right passage first for 81.0 % of it with the
# production model, against 76.2 % at 1.0 and 1.5 and 78.6 % at 4.0; for MiniLM it changed nothing there.
# An English model ranks chunks in other languages poorly, so its ranking weighs less on chunks of a
# recognised language it was not trained on (EMBEDDING_LANGUAGES names the ones it was).
VECTOR_WEIGHT = 2.5
OTHER_LANGUAGE_VECTOR_WEIGHT = 0.1
TEXT_WEIGHT = 1.0
# The HNSW scan fetches as many rows as the vector ranking keeps: an iterative scan's cost grows with
# the rows it must find past the filter, and more rows bought no recall in the benchmark.
HNSW_EXTRA_ROWS = 0
HNSW_MIN_EF_SEARCH = 40
# The candidate count of an (entity, department) is read at most this often per process: it only
# picks the plan and scales the inverse document frequencies, so a few seconds' staleness is harmless.
CANDIDATE_COUNT_TTL_SECONDS = 30.0
_candidate_counts: dict[tuple[int, int | None], tuple[float, int]] = {}

# On the index plan, a word in more than this share of the entity's chunks is left out of the text
# ranking: it would make the ranking read most of a large tenant's rows, and its inverse document
# frequency makes it count for little anyway. Each of the question's words is counted in the entity's
# index, the count stopping at that share, so an everyday word costs a bounded index scan. (PostgreSQL's
# column statistics cannot say it: pg_stats hides the statistics of a table under row-level security.)
EVERYDAY_TERM_SHARE = 0.05
# ... and never a word in fewer chunks than this: reading it costs little.
EVERYDAY_TERM_MIN_CHUNKS = 500

_COLUMNS = (
    "found.id, found.document_name, found.department_id, found.chunk_text, found.heading, found.metadata"
)
_SCOPE = "%(entity_id)s, CAST(%(department_id)s AS integer), CAST(%(query)s AS vector)"
_FUSION = (
    "CAST(%(weak_vector_configs)s AS regconfig[]), %(vector_weight)s, %(other_language_weight)s, %(text_weight)s, "
    "%(rrf_k)s, %(use_vector)s"
)
# WITH ORDINALITY numbers the rows in the order the function returns them: its ranking.
_FUNCTION_CALLS = {
    ("exact", "vector"): f"kb_exact_chunks({_SCOPE}, %(k)s)",
    ("exact", "fused"): (
        f"kb_hybrid_chunks_exact({_SCOPE}, CAST(%(text)s AS text), %(k)s, %(depth)s, %(candidates)s, {_FUSION})"
    ),
    ("hnsw", "fused"): (
        f"kb_hybrid_chunks_indexed({_SCOPE}, CAST(%(text)s AS text), %(k)s, %(depth)s, %(fetch)s, "
        f"%(ef_search)s, %(candidates)s, %(everyday)s, {_FUSION})"
    ),
}


def _ranked(call: str) -> str:
    return (
        f"SELECT {_COLUMNS}, found.distance FROM {call} WITH ORDINALITY AS found("
        "id, document_name, department_id, chunk_text, heading, metadata, distance, rank) ORDER BY found.rank"
    )


@cache
def exact_sql(mode: Mode) -> str:
    """Every candidate ranked exactly, read through the entity B-tree."""
    return _ranked(_FUNCTION_CALLS["exact", "vector" if mode == "vector" else "fused"])


@cache
def hnsw_sql(mode: Mode) -> str:
    """The vector ranking from the HNSW index (kb_nearest_chunks), the text ranking from knowledge_terms."""
    if mode == "vector":  # the index's iterative scan returns rows nearly in order: sorted here
        return f"""
        SELECT {_COLUMNS}, found.distance
        FROM kb_nearest_chunks({_SCOPE}, %(fetch)s, %(ef_search)s) AS found
        ORDER BY found.distance, found.id LIMIT %(k)s
        """
    return _ranked(_FUNCTION_CALLS["hnsw", "fused"])


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
    heading: str = ""


class QueryVector:
    """The question's embedding as a statement parameter, sent in pgvector's binary form (formatting
    384 floats as text cost more than the rest of the client's work)."""

    __slots__ = ("data",)

    def __init__(self, values: Sequence[float]):
        from pgvector import Vector

        self.data = Vector(values).to_binary()


def _bind_query_vectors(raw) -> None:
    """Teaches this psycopg connection to send QueryVector as `vector` (its oid is read once)."""
    from psycopg import ProgrammingError
    from psycopg.adapt import Dumper, PyFormat
    from psycopg.pq import Format
    from psycopg.types import TypeInfo

    try:
        raw.adapters.get_dumper(QueryVector, PyFormat.BINARY)
        return
    except ProgrammingError:
        pass
    info = TypeInfo.fetch(raw, "vector")

    class VectorDumper(Dumper):
        format = Format.BINARY
        oid = info.oid

        def dump(self, obj):
            return obj.data

    raw.adapters.register_dumper(QueryVector, VectorDumper)


def search_knowledge(
    *,
    db: Session,
    entity_id: int,
    department_id: int | None,
    query_embedding: Sequence[float],
    k: int = 5,
    query_text: str | None = None,
    mode: Mode | None = None,
) -> list[RetrievedChunk]:
    """The k best chunks of the entity (department override applied): hybrid with the question's text."""
    if k < 1:
        return []
    mode = mode or ("hybrid" if query_text and query_text.strip() else "vector")
    params = search_params(
        db=db,
        entity_id=entity_id,
        department_id=department_id,
        query_embedding=query_embedding,
        k=k,
        query_text=query_text,
        mode=mode,
    )
    rows = None
    if params["candidates"] > EXACT_SCAN_MAX_CHUNKS:
        rows = _hnsw_search(db, params, mode)
        if len(rows) < k and mode != "text":
            rows = None
    if rows is None:
        rows = fetch_rows(db, exact_sql(mode), params, prepare=_bind_query_vectors)
    return [_chunk(row) for row in rows]


def _hnsw_search(db: Session, params: dict, mode: Mode) -> list:
    """The index plan, one statement (kb_nearest_chunks carries its index settings)."""
    return fetch_rows(db, hnsw_sql(mode), params, prepare=_bind_query_vectors)


def search_params(
    *,
    db: Session,
    entity_id: int,
    department_id: int | None,
    query_embedding: Sequence[float],
    k: int,
    query_text: str | None,
    mode: Mode,
) -> dict:
    """The parameters of either plan's statement (the benchmark EXPLAINs them with these)."""
    depth = max(k, FUSION_DEPTH) if mode == "hybrid" else k
    candidates = _candidate_count(db, entity_id, department_id)
    fetch = depth + HNSW_EXTRA_ROWS
    return {
        "entity_id": entity_id,
        "department_id": department_id,
        "query": QueryVector(query_embedding),
        "text": query_text or "",
        "k": k,
        "depth": depth,
        "fetch": fetch,
        "ef_search": min(1000, max(HNSW_MIN_EF_SEARCH, fetch)),
        "candidates": candidates,
        "everyday": max(EVERYDAY_TERM_MIN_CHUNKS, math.ceil(EVERYDAY_TERM_SHARE * candidates)),
        "weak_vector_configs": weak_vector_configs(get_settings().embedding_languages),
        "vector_weight": float(VECTOR_WEIGHT),
        "other_language_weight": float(OTHER_LANGUAGE_VECTOR_WEIGHT),
        "text_weight": float(TEXT_WEIGHT),
        "rrf_k": float(RRF_K),
        "use_vector": mode != "text",
    }


def weak_vector_configs(model_languages: frozenset[str]) -> list[str]:
    """The recognised languages the model was not trained on. Chunks of no recognised language
    (`simple`) keep the full weight: nothing says the model is weak there."""
    return [config for config in SEARCH_CONFIGS if config not in model_languages and config != "simple"]


def _candidate_count(db: Session, entity_id: int, department_id: int | None) -> int:
    """The upper bound of the candidates, from a per-process cache refreshed every few seconds."""
    now = time.monotonic()
    cached = _candidate_counts.get((entity_id, department_id))
    if cached is not None and cached[0] > now:
        return cached[1]
    count = int(
        db.execute(CANDIDATE_COUNT_SQL, {"entity_id": entity_id, "department_id": department_id}).scalar_one()
    )
    if len(_candidate_counts) > 10_000:
        _candidate_counts.clear()
    _candidate_counts[(entity_id, department_id)] = (now + CANDIDATE_COUNT_TTL_SECONDS, count)
    return count


def search_knowledge_text(
    *,
    db: Session,
    entity_id: int,
    department_id: int | None,
    query: str,
    k: int = 5,
    embedder=None,
    mode: Mode = "hybrid",
) -> list[RetrievedChunk]:
    """Embeds the question with the configured model and searches the entity's knowledge base with it."""
    if embedder is None:
        from meetings.embeddings import get_embedder

        embedder = get_embedder()
    return search_knowledge(
        db=db,
        entity_id=entity_id,
        department_id=department_id,
        query_embedding=embedder.embed_query(query),
        k=k,
        query_text=query,
        mode=mode,
    )


def _chunk(row) -> RetrievedChunk:
    chunk_id, document_name, department_id, chunk_text, heading, metadata, distance = row
    metadata = dict(metadata or {})
    return RetrievedChunk(
        id=chunk_id,
        document_name=document_name,
        department_id=department_id,
        page=int(metadata.get("page", 1)),
        chunk_index=int(metadata.get("chunk_index", 0)),
        text=chunk_text,
        score=1.0 - float(distance),
        metadata=metadata,
        heading=heading,
    )
