"""Chunks keep their embedding inline, in the table's own pages, instead of in its TOAST table.

pgvector gives `vector` EXTERNAL storage: a row over about 2 KB moves the vector out of line. A chunk's
row is its 1,544-byte embedding (384 dimensions) plus its text, heading and tsvector, so nearly every
embedding lived in the TOAST table, and the exact plan fetched each candidate's vector through the TOAST
index. With MAIN storage the vector stays in the row: the text and the tsvector are compressed or moved
out first, and the vector leaves the row only if the row could not fit a page otherwise (so a larger
EMBEDDING_DIM never makes an insert fail). On 98,800 chunks the exact search became 1.5–2× faster over
small tenants searched in turn (up to 5× on one tenant searched repeatedly), and the HNSW search moved
between 20 % slower and 30 % faster (docs/knowledge-retrieval.md has the figures).

The change applies to rows written from now on (ingestion writes whole documents). Rows already stored
keep their place until the table is rewritten: `VACUUM FULL knowledge_base` at a quiet time (it locks
the table and rebuilds its indexes), as docs/operations.md says. A migration does not rewrite it,
because the rewrite's lock would stop every search for as long as it takes.

Revision ID: 20261202_kb_embedding_inline
Revises: 20261202_kb_hybrid_chunks
Create Date: 2026-12-02
"""

from alembic import op

revision = "20261202_kb_embedding_inline"
down_revision = "20261202_kb_hybrid_chunks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE knowledge_base ALTER COLUMN embedding SET STORAGE MAIN")


def downgrade() -> None:
    op.execute("ALTER TABLE knowledge_base ALTER COLUMN embedding SET STORAGE EXTERNAL")
