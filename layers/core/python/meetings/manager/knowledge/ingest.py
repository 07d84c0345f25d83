"""Ingestion: a document's bytes become embedded chunks, replacing its previous chunks atomically.

Objects live at `kb/{entity_id}/{department_id | "entity"}/{document_name}`. The S3 event only says
"look at this key": ingestion reads the key's current object, and the document row's `source_etag`
records what was ingested last, so a redelivered or stale event changes nothing.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from psycopg.types.json import Jsonb
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from meetings.errors import DomainError, PayloadTooLarge
from meetings.log import failure, logger
from meetings.manager.departments.models import Department
from meetings.manager.entities.models import Entity
from meetings.manager.knowledge.chunking import Chunk, chunk_blocks, document_title
from meetings.manager.knowledge.extract import detect_document_type
from meetings.manager.knowledge.isolation import extract_isolated
from meetings.manager.knowledge.language import SIMPLE, detect_search_config
from meetings.manager.knowledge.models import DocumentStatus, KnowledgeChunk, KnowledgeDocument

KB_PREFIX = "kb/"
ENTITY_WIDE_SEGMENT = "entity"
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
INTERNAL_FAILURE = "The document could not be processed because of an internal error; upload it again."
EMBED_BATCH_SIZE = 32
# Texts handed to the model per call: it sorts each call's texts by length to pad less, and progress
# is reported between calls.
EMBED_GROUP_SIZE = 256

# One statement for every chunk of a document. (COPY is refused on a table with row-level security.)
INSERT_CHUNKS_SQL = """
    INSERT INTO knowledge_base
        (entity_id, department_id, document_name, chunk_text, heading, search_config, embedding, metadata)
    SELECT %(entity_id)s, %(department_id)s, %(document_name)s, chunk.text, chunk.heading,
           CAST(%(search_config)s AS regconfig), chunk.embedding::vector, chunk.metadata
    FROM unnest(%(texts)s::text[], %(headings)s::text[], %(embeddings)s::text[], %(metadata)s::jsonb[])
        AS chunk(text, heading, embedding, metadata)
"""


@dataclass(frozen=True)
class DocumentLocation:
    entity_id: int
    department_id: int | None
    document_name: str

    @property
    def key(self) -> str:
        scope = ENTITY_WIDE_SEGMENT if self.department_id is None else str(self.department_id)
        return f"{KB_PREFIX}{self.entity_id}/{scope}/{self.document_name}"


def parse_document_key(key: str) -> DocumentLocation | None:
    """Reads entity, department and document name back from an object key (None if it is not one)."""
    if not key.startswith(KB_PREFIX):
        return None
    parts = key[len(KB_PREFIX) :].split("/")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[2]:
        return None
    if parts[1] != ENTITY_WIDE_SEGMENT and not parts[1].isdigit():
        return None
    department_id = None if parts[1] == ENTITY_WIDE_SEGMENT else int(parts[1])
    return DocumentLocation(int(parts[0]), department_id, parts[2])


@dataclass(frozen=True)
class IngestOutcome:
    status: str  # ingested | failed | unchanged | skipped
    document_id: int | None = None
    chunk_count: int = 0
    reason: str | None = None


def content_etag(content: bytes) -> str:
    """The ETag S3 gives a single-part upload of these bytes."""
    return f'"{hashlib.md5(content, usedforsecurity=False).hexdigest()}"'


def ingest_s3_object(*, db: Session, bucket: str, key: str, embedder=None) -> IngestOutcome:
    """Ingests the current object at a `kb/` key; a redelivered event for it changes nothing."""
    from meetings.storage import s3_client

    location = parse_document_key(key)
    if location is None:
        return IngestOutcome("skipped", reason="not a knowledge-base document key")
    client = s3_client()
    try:
        head = client.head_object(Bucket=bucket, Key=key)
    except client.exceptions.ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return IngestOutcome("skipped", reason="the object no longer exists")
        raise
    etag = head["ETag"]
    if (unchanged := unchanged_outcome(db, location, etag)) is not None:
        return unchanged  # before the download
    if head["ContentLength"] > MAX_DOCUMENT_BYTES:
        content = b""
    else:
        try:
            content = client.get_object(Bucket=bucket, Key=key, IfMatch=etag)["Body"].read()
        except client.exceptions.ClientError as exc:
            if exc.response["Error"]["Code"] in ("PreconditionFailed", "404", "NoSuchKey"):
                return IngestOutcome("skipped", reason="the object changed while being read")
            raise

    def still_current() -> bool:
        try:
            return client.head_object(Bucket=bucket, Key=key)["ETag"] == etag
        except client.exceptions.ClientError:
            return False

    return ingest_document(
        db=db,
        location=location,
        content=content,
        content_type=head.get("ContentType"),
        source_etag=etag,
        s3_key=key,
        size_bytes=head["ContentLength"],
        embedder=embedder,
        still_current=still_current,
    )


def ingest_document(
    *,
    db: Session,
    location: DocumentLocation,
    content: bytes,
    content_type: str | None,
    source_etag: str,
    s3_key: str | None = None,
    size_bytes: int | None = None,
    embedder=None,
    on_progress: Callable[[int, int], None] | None = None,
    still_current: Callable[[], bool] | None = None,
) -> IngestOutcome:
    """Extracts, chunks, embeds and stores one document, replacing its previous chunks atomically.

    Callers skip a version that was already ingested with `unchanged_outcome` before reading its bytes;
    the check is repeated here under the document's row lock, which settles concurrent deliveries.
    """
    if not _scope_exists(db, location):
        return IngestOutcome("skipped", reason="the entity or department does not exist")
    size_bytes = len(content) if size_bytes is None else size_bytes
    try:
        prepared = _prepare(location, content, content_type, size_bytes, embedder, on_progress)
    except DomainError as exc:
        prepared = PreparedDocument(content_type=content_type, error=exc.message)
    except Exception as exc:  # a document never stays PENDING: whatever broke, it fails with a reason
        logger.error(
            "knowledge document preparation failed", extra={"entity_id": location.entity_id, **failure(exc)}
        )
        prepared = PreparedDocument(content_type=content_type, error=INTERNAL_FAILURE)

    document, created = _lock_document(db, location)
    if (unchanged := _unchanged(document, source_etag)) is not None:
        return unchanged
    if still_current is not None and not still_current():
        if created:
            db.delete(document)
        db.flush()
        return IngestOutcome("skipped", reason="a newer upload replaced the object")
    replace_chunks(
        db=db,
        document=document,
        chunks=prepared.chunks,
        vectors=prepared.vectors,
        search_config=prepared.search_config,
    )
    document.status = DocumentStatus.FAILED if prepared.error else DocumentStatus.READY
    document.error = prepared.error
    document.source_etag = source_etag
    if s3_key is not None:
        document.s3_key = s3_key
    document.content_type = prepared.content_type
    document.size_bytes = size_bytes
    document.page_count = prepared.page_count
    document.chunk_count = len(prepared.chunks)
    document.ingested_at = datetime.now(UTC)
    db.flush()
    logger.info(
        "knowledge document ingested",
        extra={
            "document_id": document.id,
            "entity_id": location.entity_id,
            "status": document.status.value,
            "chunks": len(prepared.chunks),
            "error": prepared.error,
        },
    )
    return IngestOutcome(
        "failed" if prepared.error else "ingested", document.id, len(prepared.chunks), prepared.error
    )


@dataclass
class PreparedDocument:
    """A document's chunks and their vectors, or the reason it cannot have any."""

    content_type: str | None
    chunks: list[Chunk] = field(default_factory=list)
    vectors: object = None
    page_count: int | None = None
    error: str | None = None
    search_config: str = SIMPLE


def _prepare(
    location, content: bytes, content_type, size_bytes: int, embedder, on_progress
) -> PreparedDocument:
    """Checks, extracts, chunks and embeds; raises a DomainError for a document that cannot be used."""
    if size_bytes > MAX_DOCUMENT_BYTES:
        raise PayloadTooLarge(f"The document is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB.")
    document_type = detect_document_type(content, content_type, location.document_name)
    extracted = extract_isolated(content, document_type)
    if embedder is None:
        from meetings.embeddings import get_embedder

        embedder = get_embedder()
    chunks = chunk_blocks(
        extracted.blocks,
        tokenizer=embedder.tokenizer,
        max_seq_length=embedder.max_seq_length,
        title=document_title(location.document_name, extracted.blocks),
    )
    vectors = embed_in_batches(embedder, [chunk.embedded_text for chunk in chunks], on_progress=on_progress)
    search_config = detect_search_config("\n".join(block.text for block in extracted.blocks))
    return PreparedDocument(
        document_type.value, chunks, vectors, extracted.page_count, search_config=search_config
    )


def unchanged_outcome(db: Session, location: DocumentLocation, etag: str) -> IngestOutcome | None:
    """The outcome for a version that was already ingested (a redelivered or stale event), else None."""
    return _unchanged(_find_document(db, location), etag)


def _unchanged(document: KnowledgeDocument | None, etag: str) -> IngestOutcome | None:
    if document is not None and document.source_etag == etag and document.status != DocumentStatus.PENDING:
        return IngestOutcome("unchanged", document.id, document.chunk_count)
    return None


def embed_in_batches(embedder, texts: list[str], *, on_progress: Callable[[int, int], None] | None = None):
    """Embeds texts batch by batch, reporting (embedded, total) after each batch; returns a float32 array."""
    import numpy as np

    batches = []
    for start in range(0, len(texts), EMBED_GROUP_SIZE):
        batch = texts[start : start + EMBED_GROUP_SIZE]
        batches.append(np.asarray(embedder.embed(batch, batch_size=EMBED_BATCH_SIZE), dtype=np.float32))
        if on_progress is not None:
            on_progress(start + len(batch), len(texts))
    return np.concatenate(batches) if batches else np.zeros((0, embedder.dimension), dtype=np.float32)


def replace_chunks(
    *, db: Session, document: KnowledgeDocument, chunks: list[Chunk], vectors, search_config: str = SIMPLE
) -> None:
    """Deletes the document's chunks and inserts the new ones, inside the caller's transaction."""
    import numpy as np

    db.execute(delete(KnowledgeChunk).where(*_chunk_scope(document)))
    if not chunks:
        return
    embeddings = [
        "[" + ",".join(map(str, np.asarray(vector, dtype=np.float32).tolist())) + "]" for vector in vectors
    ]
    if len(embeddings) != len(chunks):
        raise ValueError("one vector per chunk")
    raw = db.connection().connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute(
            INSERT_CHUNKS_SQL,
            {
                "entity_id": document.entity_id,
                "department_id": document.department_id,
                "document_name": document.document_name,
                "search_config": search_config,
                "texts": [chunk.text for chunk in chunks],
                "headings": [chunk.heading for chunk in chunks],
                "embeddings": embeddings,
                "metadata": [Jsonb(chunk.metadata) for chunk in chunks],
            },
        )


def delete_chunks(*, db: Session, document: KnowledgeDocument) -> None:
    db.execute(delete(KnowledgeChunk).where(*_chunk_scope(document)))


def _scope(model, entity_id: int, department_id: int | None, document_name: str) -> list:
    """The conditions selecting one document's rows of `model` (a NULL department is entity-wide)."""
    return [
        model.entity_id == entity_id,
        model.department_id.is_(None) if department_id is None else model.department_id == department_id,
        model.document_name == document_name,
    ]


def _chunk_scope(document: KnowledgeDocument) -> list:
    return _scope(KnowledgeChunk, document.entity_id, document.department_id, document.document_name)


def _document_scope(location: DocumentLocation) -> list:
    return _scope(KnowledgeDocument, location.entity_id, location.department_id, location.document_name)


def _find_document(db: Session, location: DocumentLocation) -> KnowledgeDocument | None:
    return db.execute(select(KnowledgeDocument).where(*_document_scope(location))).scalar_one_or_none()


def _lock_document(db: Session, location: DocumentLocation) -> tuple[KnowledgeDocument, bool]:
    """Locks the document row for this write, creating it if the upload did not (CLI, direct S3 upload)."""
    query = (
        select(KnowledgeDocument)
        .where(*_document_scope(location))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    document = db.execute(query).scalar_one_or_none()
    if document is not None:
        return document, False
    db.execute(
        insert(KnowledgeDocument)
        .values(
            entity_id=location.entity_id,
            department_id=location.department_id,
            document_name=location.document_name,
            status=DocumentStatus.PENDING,
            chunk_count=0,
        )
        .on_conflict_do_nothing()
    )
    return db.execute(query).scalar_one(), True


def _scope_exists(db: Session, location: DocumentLocation) -> bool:
    if db.get(Entity, location.entity_id) is None:
        return False
    if location.department_id is None:
        return True
    department = db.get(Department, location.department_id)
    return department is not None and department.entity_id == location.entity_id
