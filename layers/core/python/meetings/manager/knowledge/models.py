import enum
from datetime import datetime
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    DateTime,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, REAL, REGCONFIG, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

import meetings.manager.departments.models  # noqa: F401  (a foreign key's table, which a flush resolves)
import meetings.manager.entities.models  # noqa: F401  (a foreign key's table, which a flush resolves)
import meetings.manager.users.models  # noqa: F401  (a foreign key's table, which a flush resolves)
from meetings.constraints import CHUNK_TEXT_MAX_LENGTH, max_length
from meetings.db import Base, created_at_column, updated_at_column
from meetings.settings import get_settings

CHUNK_METADATA_RULE = (
    "COALESCE(jsonb_typeof(metadata -> 'page') = 'number' "
    "AND jsonb_typeof(metadata -> 'chunk_index') = 'number' "
    "AND jsonb_typeof(metadata -> 'total_chunks') = 'number', false)"
)
HEADING_MAX_LENGTH = 1000
# The indexed words (heading weight A, text B; the words reach the index through knowledge_terms); kb_fold (a migration's SQL function) lowers
# and strips accents, so "nao" finds "não".
SEARCH_VECTOR_SQL = (
    "setweight(to_tsvector(search_config, kb_fold(heading)), 'A') || "
    "setweight(to_tsvector(search_config, kb_fold(chunk_text)), 'B')"
)


class KnowledgeChunk(Base):
    """One embedded chunk of an organization's document (table `knowledge_base`)."""

    __tablename__ = "knowledge_base"
    __table_args__ = (
        CheckConstraint(max_length("chunk_text", CHUNK_TEXT_MAX_LENGTH), name="chunk_text_length"),
        CheckConstraint(CHUNK_METADATA_RULE, name="metadata_shape"),
        CheckConstraint(f"char_length(heading) <= {HEADING_MAX_LENGTH}", name="heading_length"),
        ForeignKeyConstraint(
            ["department_id", "entity_id"],
            ["departments.id", "departments.entity_id"],
            name="fk_knowledge_base_department_same_entity",
            ondelete="CASCADE",
        ),
        Index("idx_kb_entity", "entity_id"),
        Index("idx_kb_department", "department_id", postgresql_where=text("department_id IS NOT NULL")),
        Index(
            "idx_kb_embedding",
            "embedding",
            postgresql_using="hnsw",
            postgresql_ops={"embedding": "vector_cosine_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"), nullable=False)
    department_id: Mapped[int | None] = mapped_column(Integer)
    document_name: Mapped[str] = mapped_column(String(255), nullable=False)
    chunk_text: Mapped[str] = mapped_column(Text, nullable=False)
    # "Document title › section": embedded and indexed with the text, never quoted as part of it.
    heading: Mapped[str] = mapped_column(Text, nullable=False, server_default="", default="")
    # The text search configuration of the document's language (english, portuguese, ... or simple).
    search_config: Mapped[str] = mapped_column(
        REGCONFIG, nullable=False, server_default=text("'simple'"), default="simple"
    )
    search_vector: Mapped[Any] = mapped_column(TSVECTOR, Computed(SEARCH_VECTOR_SQL, persisted=True))
    embedding: Mapped[Any] = mapped_column(Vector(get_settings().embedding_dim), nullable=False)
    chunk_metadata: Mapped[dict] = mapped_column("metadata", JSONB, nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class KnowledgeTerm(Base):
    """One lexeme of one chunk (table `knowledge_terms`): the full-text index that row-level security
    leaves usable, filled by a trigger on every insert of chunks (migration 20261201_knowledge_terms)."""

    __tablename__ = "knowledge_terms"
    __table_args__ = (Index("idx_knowledge_terms_chunk", "chunk_id"),)

    entity_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    search_config: Mapped[str] = mapped_column(REGCONFIG, primary_key=True)
    lexeme: Mapped[str] = mapped_column(Text, primary_key=True)
    chunk_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_base.id", ondelete="CASCADE"), primary_key=True
    )
    department_id: Mapped[int | None] = mapped_column(Integer)  # the chunk's, so the rules need no join
    document_key: Mapped[int] = mapped_column(Integer, nullable=False)  # kb_document_key(document_name)
    # the lexeme's ts_rank in its chunk (heading and text weighed alike, damped by the chunk's length)
    weight: Mapped[float] = mapped_column(REAL, nullable=False)


class DocumentStatus(enum.StrEnum):
    PENDING = "PENDING"
    READY = "READY"
    FAILED = "FAILED"


class KnowledgeDocument(Base):
    """An uploaded document and the state of its ingestion; its chunks live in `knowledge_base`."""

    __tablename__ = "knowledge_documents"
    __table_args__ = (
        ForeignKeyConstraint(
            ["department_id", "entity_id"],
            ["departments.id", "departments.entity_id"],
            name="fk_knowledge_documents_department_same_entity",
            ondelete="CASCADE",
        ),
        Index(
            "uq_knowledge_documents_scope_name",
            "entity_id",
            "department_id",
            "document_name",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"), nullable=False)
    department_id: Mapped[int | None] = mapped_column(Integer)
    document_name: Mapped[str] = mapped_column(String(255), nullable=False)
    s3_key: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(100))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    # The ETag of the object last ingested: a redelivered S3 event for it changes nothing.
    source_etag: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[DocumentStatus] = mapped_column(
        Enum(
            DocumentStatus, name="knowledge_document_status", values_callable=lambda e: [m.value for m in e]
        ),
        nullable=False,
        server_default=DocumentStatus.PENDING.value,
        default=DocumentStatus.PENDING,
    )
    error: Mapped[str | None] = mapped_column(Text)
    page_count: Mapped[int | None] = mapped_column(Integer)
    chunk_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"), default=0)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ingested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
