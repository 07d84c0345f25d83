"""Knowledge search under row-level security: an inverted index of the chunks' words, and the HNSW scan
as a function that carries its own settings.

Under a policy PostgreSQL evaluates a query's non-leakproof conditions only after the policy's, so
`search_vector @@ query` (ts_match_vq is not leakproof) can no longer be answered by the GIN index: the
text ranking read every candidate row of a 40,000-chunk tenant. `knowledge_terms` holds one row per
(chunk, lexeme), keyed by (entity, configuration, lexeme) and carrying the chunk's department, a key of its document's name and the
term's weight, so the words of a question are found through
B-tree equality, which is leakproof. A statement trigger fills it from every insert of chunks; deleting
a chunk deletes its terms (the foreign key's cascade). The GIN index, which no serving role can use,
goes.

`kb_nearest_chunks` is the vector ranking of the index plan (with the chunks' columns, which a
vector-only search returns as they are): its SET clauses (sorting and sequential
scans off, iterative scan, ef_search) hold for its body only, so the whole search is one statement and
nothing leaks into the caller's transaction. It runs with the caller's rights: the policy applies.

Revision ID: 20261201_knowledge_terms
Revises: 20261201_visit_notes
Create Date: 2026-12-01
"""

from alembic import op

revision = "20261201_knowledge_terms"
down_revision = "20261201_visit_notes"
branch_labels = None
depends_on = None

APP, JOBS, AGENT = "meetings_app", "meetings_jobs", "meetings_agent"
SCOPE = "(SELECT current_setting('app.scope', true))"
ENTITY = "(SELECT nullif(current_setting('app.entity_id', true), '')::integer)"
# As knowledge_base's policy: the jobs and the agent see every entity's chunks.
NEW_POLICIES = {"knowledge_terms": ("entity_id", ("jobs", "agent"))}
CONDITION = f"{SCOPE} IN ('manager', 'jobs', 'agent') OR ({SCOPE} = 'entity' AND knowledge_terms.entity_id = {ENTITY})"
GRANTS = [(APP, "SELECT, INSERT"), (JOBS, "SELECT, INSERT"), (AGENT, "SELECT")]

# Kept in step with meetings.manager.knowledge.models.TERM_WEIGHT_SQL: a term's ts_rank in its chunk
# (heading A and text B weigh alike; the chunk's length damps it).
# 32 bits of the MD5 of a document name: the text ranking skips the exact override check for rows whose
# key matches no overriding name (a key that matches is checked against the name itself). MD5, not
# hashtext, so that the stored keys stay right across PostgreSQL versions.
DOCUMENT_KEY = """
CREATE FUNCTION kb_document_key(name text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN CAST(CAST(('x' || left(md5(name), 8)) AS bit(32)) AS integer)
"""

TERMS_OF_NEW_CHUNKS = """
CREATE FUNCTION knowledge_terms_of_new_chunks() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
    INSERT INTO knowledge_terms (entity_id, search_config, lexeme, chunk_id, department_id, document_key, weight)
    SELECT chunk.entity_id, chunk.search_config, term.lexeme, chunk.id, chunk.department_id,
           kb_document_key(chunk.document_name),
           ts_rank('{0.1, 0.2, 0.4, 0.4}', chunk.search_vector, CAST(quote_literal(term.lexeme) AS tsquery), 1)
    FROM new_chunks AS chunk, unnest(chunk.search_vector) AS term;
    RETURN NULL;
END;
$$
"""

NEAREST_CHUNKS = """
CREATE FUNCTION kb_nearest_chunks(
    p_entity_id integer, p_department_id integer, p_query vector, p_limit integer, p_ef_search integer
) RETURNS TABLE (
    id integer, document_name varchar, department_id integer, chunk_text text, heading text, metadata jsonb,
    search_config regconfig, distance float8
)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, public
SET enable_sort = off
SET enable_seqscan = off
SET hnsw.iterative_scan = relaxed_order
SET hnsw.ef_search = 40
AS $$
BEGIN
    -- a SET LOCAL of a variable the function's SET clause names ends with the function
    PERFORM set_config('hnsw.ef_search', p_ef_search::text, true);
    RETURN QUERY
    SELECT kb.id, kb.document_name, kb.department_id, kb.chunk_text, kb.heading, kb.metadata, kb.search_config,
           kb.embedding <=> p_query
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
    ORDER BY kb.embedding <=> p_query
    LIMIT p_limit;
END;
$$
"""


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE knowledge_terms (
            entity_id integer NOT NULL,
            search_config regconfig NOT NULL,
            lexeme text NOT NULL,
            chunk_id integer NOT NULL,
            department_id integer,
            document_key integer NOT NULL,
            weight real NOT NULL,
            CONSTRAINT pk_knowledge_terms PRIMARY KEY (entity_id, search_config, lexeme, chunk_id),
            CONSTRAINT fk_knowledge_terms_chunk_id_knowledge_base
                FOREIGN KEY (chunk_id) REFERENCES knowledge_base (id) ON DELETE CASCADE
        )
        """
    )
    op.execute("CREATE INDEX idx_knowledge_terms_chunk ON knowledge_terms (chunk_id)")
    for role, privileges in GRANTS:
        op.execute(f"GRANT {privileges} ON knowledge_terms TO {role}")
    op.execute("ALTER TABLE knowledge_terms ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE knowledge_terms FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_rows ON knowledge_terms USING ({CONDITION}) WITH CHECK ({CONDITION})")
    op.execute(DOCUMENT_KEY)
    op.execute(TERMS_OF_NEW_CHUNKS)
    op.execute(
        "CREATE TRIGGER trg_knowledge_terms_of_new_chunks AFTER INSERT ON knowledge_base "
        "REFERENCING NEW TABLE AS new_chunks FOR EACH STATEMENT EXECUTE FUNCTION knowledge_terms_of_new_chunks()"
    )
    # the chunks already there (the owner is under the policies too)
    op.execute("SELECT set_config('app.scope', 'manager', true)")
    op.execute(
        "INSERT INTO knowledge_terms (entity_id, search_config, lexeme, chunk_id, department_id, document_key, "
        "weight) SELECT chunk.entity_id, chunk.search_config, term.lexeme, chunk.id, chunk.department_id, "
        "kb_document_key(chunk.document_name), "
        "ts_rank('{0.1, 0.2, 0.4, 0.4}', chunk.search_vector, CAST(quote_literal(term.lexeme) AS tsquery), 1) "
        "FROM knowledge_base AS chunk, unnest(chunk.search_vector) AS term"
    )
    op.execute("DROP INDEX idx_kb_search_vector")
    op.execute(NEAREST_CHUNKS)


def downgrade() -> None:
    op.execute("DROP FUNCTION kb_nearest_chunks(integer, integer, vector, integer, integer)")
    op.execute("CREATE INDEX idx_kb_search_vector ON knowledge_base USING gin (search_vector)")
    op.execute("DROP TRIGGER trg_knowledge_terms_of_new_chunks ON knowledge_base")
    op.execute("DROP FUNCTION knowledge_terms_of_new_chunks()")
    op.execute("DROP TABLE knowledge_terms")
    op.execute("DROP FUNCTION kb_document_key(text)")
