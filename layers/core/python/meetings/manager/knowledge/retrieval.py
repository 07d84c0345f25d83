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
vector ranking, through `kb_nearest_chunks` (a SQL function whose own SET clauses turn sorting and
sequential scans off and pgvector's iterative scan on for its body only); should the result have fewer
than k rows, the exact plan answers instead, so the caller never gets fewer than k when k exist. The
text ranking reads `knowledge_terms` (one row per chunk and lexeme, B-tree keyed by entity,
configuration and lexeme): row-level security keeps a GIN index on `search_vector` from answering
`@@`, which is not leakproof, while B-tree equality is. Each plan is one statement, sent through the
session's psycopg connection, and its rows are read as tuples. The proxy-safe connection settings never
prepare statements server-side (meetings.db), so a statement is planned on every search, except the
bodies of the two PL/pgSQL functions, whose plans each database session keeps: the vector ranking of
either plan, `kb_nearest_chunks` and `kb_exact_chunks` (the exact plan's candidates CTE), answers a
vector-only search alone, and a hybrid one's statement is planned each time.
"""

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from sqlalchemy import text
from sqlalchemy.orm import Session

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

# The names the department overrides are read once (an InitPlan), not probed row by row, from the
# department's documents that have chunks (one row per document, where the chunks would be thousands
# of rows: ingestion writes a document's chunks and its chunk_count in one transaction).
_OVERRIDING_DOCUMENTS = """
    SELECT own.document_name FROM knowledge_documents AS own
    WHERE own.entity_id = %(entity_id)s AND own.department_id = %(department_id)s AND own.chunk_count > 0
"""
_OVERRIDDEN_NAMES = (
    f"SELECT names, ARRAY(SELECT kb_document_key(name) FROM unnest(names) AS name) AS keys "
    f"FROM (SELECT ARRAY({_OVERRIDING_DOCUMENTS}) AS names) AS overriding"
)
_CANDIDATES = f"""
    kb.entity_id = %(entity_id)s
    AND (
        kb.department_id = %(department_id)s
        OR (kb.department_id IS NULL AND kb.document_name <> ALL (ARRAY({_OVERRIDING_DOCUMENTS})))
    )
"""

# `simple` keeps every word: under it, a question's "the", "do", "de" would match every chunk.
_NOT_A_STOP_WORD = " AND ".join(
    f"length(to_tsvector('{config}', lexeme)) > 0" for config in SEARCH_CONFIGS if config != "simple"
)

# On the index plan, a word in more than this share of the entity's chunks is left out of the text
# ranking: it would make the ranking read most of a large tenant's rows, and its inverse document
# frequency makes it count for little anyway. Each of the question's words is counted in the entity's
# index, the count stopping at that share, so an everyday word costs a bounded index scan. (PostgreSQL's
# column statistics cannot say it: pg_stats hides the statistics of a table under row-level security.)
EVERYDAY_TERM_SHARE = 0.05
# ... and never a word in fewer chunks than this: reading it costs little.
EVERYDAY_TERM_MIN_CHUNKS = 500


def _text_ranking(*, prune_everyday_terms: bool) -> str:
    """The text ranking's CTEs: BM25-like, each of the question's words that a chunk contains adds its
    inverse document frequency times its ts_rank in the chunk (`knowledge_terms` keeps it), so the
    clinic's everyday words ("consulta", "clínica") count for little and the rare word of the question
    decides. The question is parsed in every configuration, and each parse meets only the chunks of its
    configuration. The exact plan counts a word's chunks among the candidates; the index plan counts
    them in the entity (the department override aside), up to the everyday share."""
    configs = ", ".join(f"'{config}'" for config in SEARCH_CONFIGS)
    terms = f"""
    terms AS (
        SELECT DISTINCT config.name AS config, lexeme
        FROM unnest(CAST(ARRAY[{configs}] AS regconfig[])) AS config(name),
             unnest(tsvector_to_array(to_tsvector(config.name, kb_fold(CAST(%(text)s AS text))))) AS lexeme
        WHERE config.name <> CAST('simple' AS regconfig) OR ({_NOT_A_STOP_WORD})
    ),"""
    if prune_everyday_terms:
        counted = """
    counted AS MATERIALIZED (
        SELECT terms.config, terms.lexeme, capped.df
        FROM terms, LATERAL (
            SELECT count(*) AS df FROM (
                SELECT FROM knowledge_terms AS term
                WHERE term.entity_id = %(entity_id)s AND term.search_config = terms.config
                  AND term.lexeme = terms.lexeme
                LIMIT %(everyday)s
            ) AS found
        ) AS capped
        WHERE capped.df BETWEEN 1 AND %(everyday)s - 1
    ),"""
        source, df = "counted", "counted.df"
    else:
        counted, source = "", "terms"
        df = "count(*) OVER (PARTITION BY term_rows.search_config, term_rows.lexeme)"
    return f"""{terms}{counted}
    term_rows AS MATERIALIZED (
        SELECT term.chunk_id, term.weight, term.search_config, term.lexeme, term.department_id,
               term.document_key
        FROM knowledge_terms AS term
        WHERE term.entity_id = %(entity_id)s
          AND (term.department_id = %(department_id)s OR term.department_id IS NULL)
          AND term.search_config = ANY (ARRAY(SELECT DISTINCT config FROM {source}))
          AND term.lexeme = ANY (ARRAY(SELECT lexeme FROM {source}))
    ),
    overridden AS MATERIALIZED ({_OVERRIDDEN_NAMES}),
    term_hits AS MATERIALIZED (
        SELECT term_rows.chunk_id AS id, term_rows.weight, {df} AS df
        FROM term_rows
        JOIN {source} ON {source}.config = term_rows.search_config AND {source}.lexeme = term_rows.lexeme
        CROSS JOIN overridden
        WHERE term_rows.department_id IS NOT NULL
           OR term_rows.document_key <> ALL (overridden.keys)
           OR NOT EXISTS (
               SELECT FROM knowledge_base AS kb
               WHERE kb.id = term_rows.chunk_id AND kb.document_name = ANY (overridden.names)
           )
    ),
    text_ranked AS (
        SELECT id, row_number() OVER (ORDER BY score DESC, id) AS position
        FROM (
            SELECT id, SUM(weight * ln(1 + (GREATEST(CAST(%(candidates)s AS float8) - df, 0) + 0.5)
                                        / (df + 0.5))) AS score
            FROM term_hits GROUP BY id
        ) AS scored
        ORDER BY score DESC, id LIMIT %(depth)s
    ),"""


_QUERY = "CAST(%(query)s AS vector)"
_DISTANCE = f"kb.embedding <=> {_QUERY}"
_RESULT_COLUMNS = "kb.id, kb.document_name, kb.department_id, kb.chunk_text, kb.heading, kb.metadata"


def _fusion(rankings: list[str]) -> str:
    """The fused order of the named rankings (CTEs of id and position), best first."""
    weights = {
        "vector_ranked": "CASE WHEN search_config = ANY(CAST(%(weak_vector_configs)s AS regconfig[])) THEN "
        f"CAST({float(OTHER_LANGUAGE_VECTOR_WEIGHT)} AS float8) ELSE CAST({float(VECTOR_WEIGHT)} AS float8) END",
        "text_ranked": f"CAST({float(TEXT_WEIGHT)} AS float8)",
    }
    union = " UNION ALL ".join(
        f"SELECT id, position, {weights[name]} AS weight FROM {name}" for name in rankings
    )
    return f"""
    fused AS (
        SELECT id, SUM(weight / ({RRF_K} + position)) AS fused, MIN(position) AS best
        FROM ({union}) AS ranked
        GROUP BY id
        ORDER BY fused DESC, best, id
        LIMIT %(k)s
    )"""


def _rankings(mode: Mode) -> list[str]:
    return {"hybrid": ["vector_ranked", "text_ranked"], "vector": ["vector_ranked"], "text": ["text_ranked"]}[
        mode
    ]


@cache
def exact_sql(mode: Mode) -> str:
    """Every candidate ranked exactly, read through the entity B-tree."""
    candidates = f"""
        candidates AS MATERIALIZED (
            SELECT kb.id, kb.search_config, {_DISTANCE} AS distance
            FROM knowledge_base AS kb WHERE {_CANDIDATES}
        ),"""
    if mode == "vector":
        return _EXACT_CHUNKS
    vector = f"""{candidates}
        vector_ranked AS (
            SELECT id, search_config, row_number() OVER (ORDER BY distance, id) AS position
            FROM candidates ORDER BY distance, id LIMIT %(depth)s
        ),"""
    return _statement(mode, vector, prune_everyday_terms=False)


# The vector-only exact plan: the same candidates CTE, in a function whose plan the session keeps.
_EXACT_CHUNKS = f"""
        SELECT {_RESULT_COLUMNS.replace("kb.", "nearest.")}, nearest.distance
        FROM kb_exact_chunks(%(entity_id)s, CAST(%(department_id)s AS integer), {_QUERY}, %(k)s) AS nearest
        """

_NEAREST_CHUNKS = f"""kb_nearest_chunks(%(entity_id)s, CAST(%(department_id)s AS integer), {_QUERY},
                                   %(fetch)s, %(ef_search)s)"""


@cache
def hnsw_sql(mode: Mode) -> str:
    """The vector ranking from the HNSW index (kb_nearest_chunks), the text ranking from knowledge_terms."""
    if mode == "vector":
        return f"""
        SELECT {_RESULT_COLUMNS.replace("kb.", "nearest.")}, nearest.distance
        FROM {_NEAREST_CHUNKS} AS nearest
        ORDER BY nearest.distance, nearest.id LIMIT %(k)s
        """
    vector = f"""
        vector_ranked AS (
            SELECT id, search_config, row_number() OVER (ORDER BY distance, id) AS position
            FROM {_NEAREST_CHUNKS}
            ORDER BY distance, id LIMIT %(depth)s
        ),"""
    return _statement(mode, vector, prune_everyday_terms=True)


def _statement(mode: Mode, vector_ranking: str, *, prune_everyday_terms: bool) -> str:
    """The rankings a mode needs, fused, with the chunks' columns."""
    text_ranking = _text_ranking(prune_everyday_terms=prune_everyday_terms)
    rankings = (vector_ranking if mode != "text" else "") + text_ranking
    return f"""
        WITH {rankings}
        {_fusion(_rankings(mode))}
        SELECT {_RESULT_COLUMNS}, {_DISTANCE} AS distance
        FROM fused JOIN knowledge_base AS kb ON kb.id = fused.id
        ORDER BY fused.fused DESC, fused.best, fused.id
        """


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


def vector_literal(values: Sequence[float]) -> str:
    """pgvector's text form of a vector, e.g. '[0.1,0.2]'."""
    return "[" + ",".join(repr(float(value)) for value in values) + "]"


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
    raw = db.connection().connection.driver_connection
    _bind_query_vectors(raw)
    rows = None
    if params["candidates"] > EXACT_SCAN_MAX_CHUNKS:
        rows = _hnsw_search(raw, params, mode)
        if len(rows) < k and mode != "text":
            rows = None
    if rows is None:
        rows = raw.execute(exact_sql(mode), params).fetchall()
    return [_chunk(row) for row in rows]


def _hnsw_search(raw, params: dict, mode: Mode) -> list:
    """The index plan, one statement (kb_nearest_chunks carries its settings)."""
    return raw.execute(hnsw_sql(mode), params).fetchall()


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
