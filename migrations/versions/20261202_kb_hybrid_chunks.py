"""The hybrid search's two statements as functions, so that each database session can keep their plans.

The hybrid statement (the vector ranking and the text ranking of the candidates, fused) is the one
every question of the API and of the agent runs, and the largest to plan: 0.54–0.96 ms of a 5–6 ms
search, spent on every call, since the services never prepare statements server-side (meetings.db). A
PL/pgSQL function's statements are parsed once per session and their plan can be kept, which pins no
RDS Proxy connection. Each function is the statement of one plan, as meetings.manager.knowledge.retrieval
describes it:

- `kb_hybrid_chunks_exact`: every candidate ranked exactly (the candidates CTE through the entity
  B-tree), a word's document frequency counted among the candidates;
- `kb_hybrid_chunks_indexed`: the vector ranking from the HNSW index (`kb_nearest_chunks`), the
  question's everyday words left out of the text ranking.

The ranking's constants (fusion weights, RRF k, depths) are parameters, so that they stay in the
Python module and the evaluation can vary them; `p_use_vector` false leaves the vector ranking out
(the text-only ranking the evaluation compares). Both run with the caller's rights: the policies apply.
The search configurations are those of meetings.manager.knowledge.language.SEARCH_CONFIGS (a test
keeps them equal).

Revision ID: 20261202_kb_hybrid_chunks
Revises: 20261202_kb_exact_chunks
Create Date: 2026-12-02
"""

from alembic import op

revision = "20261202_kb_hybrid_chunks"
down_revision = "20261202_kb_exact_chunks"
branch_labels = None
depends_on = None

RESULT = """RETURNS TABLE (
    id integer, document_name varchar, department_id integer, chunk_text text, heading text, metadata jsonb,
    distance float8
)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, public"""

# The question parsed in every configuration; each parse meets only the chunks of its configuration.
# `simple` keeps every word, so under it a word counts only when no language stops it: "the", "do",
# "de" would otherwise match every chunk.
TERMS = """
    terms AS (
        SELECT DISTINCT config.name AS config, lexeme
        FROM unnest(CAST(ARRAY['portuguese', 'english', 'spanish', 'simple'] AS regconfig[])) AS config(name),
             unnest(tsvector_to_array(to_tsvector(config.name, kb_fold(p_text)))) AS lexeme
        WHERE config.name <> CAST('simple' AS regconfig)
           OR (length(to_tsvector('portuguese', lexeme)) > 0 AND length(to_tsvector('english', lexeme)) > 0
               AND length(to_tsvector('spanish', lexeme)) > 0)
    ),"""

# The names the department's documents override are read once (an InitPlan), not probed row by row,
# from its documents that have chunks (one row per document where the chunks would be thousands:
# ingestion writes a document's chunks and its chunk_count in one transaction).
OVERRIDDEN = """
    overridden AS MATERIALIZED (
        SELECT names, ARRAY(SELECT kb_document_key(name) FROM unnest(names) AS name) AS keys
        FROM (
            SELECT ARRAY(
                SELECT own.document_name FROM knowledge_documents AS own
                WHERE own.entity_id = p_entity_id AND own.department_id = p_department_id
                  AND own.chunk_count > 0
            ) AS names
        ) AS overriding
    ),"""


def term_rows(source: str) -> str:
    return f"""
    term_rows AS MATERIALIZED (
        SELECT term.chunk_id, term.weight, term.search_config, term.lexeme, term.department_id,
               term.document_key
        FROM knowledge_terms AS term
        WHERE term.entity_id = p_entity_id
          AND (term.department_id = p_department_id OR term.department_id IS NULL)
          AND term.search_config = ANY (ARRAY(SELECT DISTINCT config FROM {source}))
          AND term.lexeme = ANY (ARRAY(SELECT lexeme FROM {source}))
    ),"""


def term_hits(source: str, df: str) -> str:
    return f"""
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
    ),"""


# BM25-like: each of the question's words that a chunk contains adds its inverse document frequency
# times its ts_rank in the chunk (knowledge_terms keeps it), so a clinic's everyday words ("consulta",
# "clínica") count for little and the question's rare word decides. The exact plan counts a word's
# chunks among the candidates, the index plan in the entity (the department override aside). Then the
# reciprocal rank fusion of both rankings, and the chunks' columns of the k best.
TEXT_RANKED_AND_FUSED = """
    text_ranked AS (
        SELECT id, row_number() OVER (ORDER BY score DESC, id) AS position
        FROM (
            SELECT id, SUM(weight * ln(1 + (GREATEST(CAST(p_candidates AS float8) - df, 0) + 0.5)
                                        / (df + 0.5))) AS score
            FROM term_hits GROUP BY id
        ) AS scored
        ORDER BY score DESC, id LIMIT p_depth
    ),
    fused AS (
        SELECT id, SUM(weight / (p_rrf_k + position)) AS fused, MIN(position) AS best
        FROM (
            SELECT id, position,
                   CASE WHEN search_config = ANY (p_weak_vector_configs) THEN p_other_language_weight
                        ELSE p_vector_weight END AS weight
            FROM vector_ranked
            UNION ALL
            SELECT id, position, p_text_weight AS weight FROM text_ranked
        ) AS ranked
        GROUP BY id
        ORDER BY fused DESC, best, id
        LIMIT p_k
    )
    SELECT kb.id, kb.document_name, kb.department_id, kb.chunk_text, kb.heading, kb.metadata,
           kb.embedding <=> p_query AS distance
    FROM fused JOIN knowledge_base AS kb ON kb.id = fused.id
    ORDER BY fused.fused DESC, fused.best, fused.id"""

HYBRID_EXACT = f"""
CREATE FUNCTION kb_hybrid_chunks_exact(
    p_entity_id integer, p_department_id integer, p_query vector, p_text text, p_k integer, p_depth integer,
    p_candidates integer, p_weak_vector_configs regconfig[], p_vector_weight float8,
    p_other_language_weight float8, p_text_weight float8, p_rrf_k float8, p_use_vector boolean
) {RESULT}
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH
    candidates AS MATERIALIZED (
        SELECT kb.id, kb.search_config, kb.embedding <=> p_query AS distance
        FROM knowledge_base AS kb
        WHERE kb.entity_id = p_entity_id
          AND (
              kb.department_id = p_department_id
              OR (
                  kb.department_id IS NULL
                  AND kb.document_name <> ALL (ARRAY(
                      SELECT own.document_name FROM knowledge_documents AS own
                      WHERE own.entity_id = p_entity_id AND own.department_id = p_department_id
                        AND own.chunk_count > 0
                  ))
              )
          )
    ),
    vector_ranked AS (
        SELECT id, search_config, row_number() OVER (ORDER BY distance, id) AS position
        FROM candidates WHERE p_use_vector
        ORDER BY distance, id LIMIT p_depth
    ),{TERMS}{term_rows("terms")}{OVERRIDDEN}{
    term_hits("terms", "count(*) OVER (PARTITION BY term_rows.search_config, term_rows.lexeme)")
}{TEXT_RANKED_AND_FUSED};
END;
$$
"""

HYBRID_INDEXED = f"""
CREATE FUNCTION kb_hybrid_chunks_indexed(
    p_entity_id integer, p_department_id integer, p_query vector, p_text text, p_k integer, p_depth integer,
    p_fetch integer, p_ef_search integer, p_candidates integer, p_everyday integer,
    p_weak_vector_configs regconfig[], p_vector_weight float8, p_other_language_weight float8,
    p_text_weight float8, p_rrf_k float8, p_use_vector boolean
) {RESULT}
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH
    vector_ranked AS (
        SELECT id, search_config, row_number() OVER (ORDER BY distance, id) AS position
        FROM kb_nearest_chunks(p_entity_id, p_department_id, p_query, p_fetch, p_ef_search)
        WHERE p_use_vector
        ORDER BY distance, id LIMIT p_depth
    ),{TERMS}
    counted AS MATERIALIZED (
        SELECT terms.config, terms.lexeme, capped.df
        FROM terms, LATERAL (
            SELECT count(*) AS df FROM (
                SELECT FROM knowledge_terms AS term
                WHERE term.entity_id = p_entity_id AND term.search_config = terms.config
                  AND term.lexeme = terms.lexeme
                LIMIT p_everyday
            ) AS found
        ) AS capped
        WHERE capped.df BETWEEN 1 AND p_everyday - 1
    ),{term_rows("counted")}{OVERRIDDEN}{term_hits("counted", "counted.df")}{TEXT_RANKED_AND_FUSED};
END;
$$
"""


def upgrade() -> None:
    op.execute(HYBRID_EXACT)
    op.execute(HYBRID_INDEXED)


def downgrade() -> None:
    op.execute(
        "DROP FUNCTION kb_hybrid_chunks_indexed(integer, integer, vector, text, integer, integer, integer, "
        "integer, integer, integer, regconfig[], float8, float8, float8, float8, boolean)"
    )
    op.execute(
        "DROP FUNCTION kb_hybrid_chunks_exact(integer, integer, vector, text, integer, integer, integer, "
        "regconfig[], float8, float8, float8, float8, boolean)"
    )
