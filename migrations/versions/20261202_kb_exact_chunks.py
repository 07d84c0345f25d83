"""The exact plan's vector ranking as a function, so that each database session can keep its plan.

The services never prepare statements server-side (that would pin an RDS Proxy connection, meetings.db),
so the exact vector search was planned on every call: 0.14–0.20 ms of a 1–3 ms search. A PL/pgSQL
function's statements are parsed once per session and their plan can be kept, which pins nothing. `kb_exact_chunks` is
the statement the exact plan ran: the candidates (the department override applied) read through the
entity B-tree in a MATERIALIZED CTE, so that no plan can drift to the HNSW index and lose rows to the
filter, ranked exactly by cosine distance. It runs with the caller's rights: the policy applies.

Revision ID: 20261202_kb_exact_chunks
Revises: 20261201_request_principal
Create Date: 2026-12-02
"""

from alembic import op

revision = "20261202_kb_exact_chunks"
down_revision = "20261201_request_principal"
branch_labels = None
depends_on = None

EXACT_CHUNKS = """
CREATE FUNCTION kb_exact_chunks(p_entity_id integer, p_department_id integer, p_query vector, p_limit integer)
RETURNS TABLE (
    id integer, document_name varchar, department_id integer, chunk_text text, heading text, metadata jsonb,
    distance float8
)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, public
AS $$
BEGIN
    RETURN QUERY
    WITH candidates AS MATERIALIZED (
        SELECT kb.id, kb.embedding <=> p_query AS distance
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
    )
    SELECT kb.id, kb.document_name, kb.department_id, kb.chunk_text, kb.heading, kb.metadata, nearest.distance
    FROM (
        SELECT candidates.id, candidates.distance FROM candidates
        ORDER BY candidates.distance, candidates.id LIMIT p_limit
    ) AS nearest
    JOIN knowledge_base AS kb ON kb.id = nearest.id
    ORDER BY nearest.distance, nearest.id;
END;
$$
"""


def upgrade() -> None:
    op.execute(EXACT_CHUNKS)


def downgrade() -> None:
    op.execute("DROP FUNCTION kb_exact_chunks(integer, integer, vector, integer)")
