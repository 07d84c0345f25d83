"""Knowledge full-text search: each chunk's heading (document title and section) and its text search
configuration, a generated tsvector over both (accents folded) and its GIN index.

Revision ID: 20261201_knowledge_hybrid_search
Revises: 20261201_magic_link_hashes
Create Date: 2026-12-01
"""

from alembic import op

revision = "20261201_knowledge_hybrid_search"
down_revision = "20261201_magic_link_hashes"
branch_labels = None
depends_on = None

# SEARCH_VECTOR is kept in step with meetings.manager.knowledge.models.SEARCH_VECTOR_SQL.
FOLD_FUNCTION = """
CREATE FUNCTION kb_fold(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN translate(
    lower(value),
    'áàâãäåéèêëíìîïóòôõöúùûüçñý',
    'aaaaaaeeeeiiiiooooouuuucny'
)
"""
SEARCH_VECTOR = (
    "setweight(to_tsvector(search_config, kb_fold(heading)), 'A') || "
    "setweight(to_tsvector(search_config, kb_fold(chunk_text)), 'B')"
)


def upgrade() -> None:
    op.execute(FOLD_FUNCTION)
    op.execute("ALTER TABLE knowledge_base ADD COLUMN heading text NOT NULL DEFAULT ''")
    op.execute("ALTER TABLE knowledge_base ADD COLUMN search_config regconfig NOT NULL DEFAULT 'simple'")
    op.execute(
        "ALTER TABLE knowledge_base ADD CONSTRAINT ck_knowledge_base_heading_length "
        "CHECK (char_length(heading) <= 1000)"
    )
    op.execute(
        f"ALTER TABLE knowledge_base ADD COLUMN search_vector tsvector "
        f"GENERATED ALWAYS AS ({SEARCH_VECTOR}) STORED"
    )
    op.execute("CREATE INDEX idx_kb_search_vector ON knowledge_base USING gin (search_vector)")


def downgrade() -> None:
    op.execute("DROP INDEX idx_kb_search_vector")
    op.execute("ALTER TABLE knowledge_base DROP COLUMN search_vector")
    op.execute("ALTER TABLE knowledge_base DROP CONSTRAINT ck_knowledge_base_heading_length")
    op.execute("ALTER TABLE knowledge_base DROP COLUMN search_config")
    op.execute("ALTER TABLE knowledge_base DROP COLUMN heading")
    op.execute("DROP FUNCTION kb_fold(text)")
