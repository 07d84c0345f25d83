"""Knowledge-base documents of an organization: upload, list, delete, and search.

Uploads land in S3 under `kb/`; the ingestion job (S3 event, or the local poller) turns them into
chunks. Nothing here loads the embedding model at import time.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from meetings.errors import NotFound, PayloadTooLarge, TooManyRequests, ValidationFailed
from meetings.identity.principal import Principal
from meetings.manager.departments.models import Department
from meetings.manager.entities.access import get_active_entity, get_entity
from meetings.manager.knowledge.extract import declared_document_type, detect_document_type
from meetings.manager.knowledge.ingest import MAX_DOCUMENT_BYTES, DocumentLocation, delete_chunks
from meetings.manager.knowledge.models import DocumentStatus, KnowledgeChunk, KnowledgeDocument
from meetings.manager.knowledge.retrieval import RetrievedChunk, search_knowledge_text
from meetings.manager.knowledge.schemas import MAX_DIRECT_UPLOAD_BYTES, DocumentUploadRequest, SearchRequest
from meetings.settings import get_settings

PRESIGNED_UPLOAD_SECONDS = 900
# Fairness: an entity has at most this many documents waiting for ingestion, so one tenant's batch
# holds at most this many places in the ingestion queue ahead of everyone else's documents. A pending
# row older than the window (a presigned upload never made) no longer counts.
MAX_PENDING_PER_ENTITY = 20
PENDING_WINDOW = timedelta(minutes=30)
PENDING_RETRY_AFTER_SECONDS = 60


@dataclass(frozen=True)
class PresignedPost:
    url: str
    fields: dict[str, str]
    expires_in: int
    max_size_bytes: int
    method: str = "POST"


def request_upload(
    *, db: Session, principal: Principal, entity_id: int, data: DocumentUploadRequest
) -> tuple[KnowledgeDocument, PresignedPost]:
    """Registers a pending document and returns a presigned S3 POST for exactly its key, type and
    declared size."""
    from meetings.storage import s3_client

    get_active_entity(db=db, principal=principal, entity_id=entity_id)
    _check_department(db, entity_id, data.department_id)
    document_type = declared_document_type(data.content_type, data.document_name)
    _check_size(data.size_bytes, MAX_DOCUMENT_BYTES)
    location = DocumentLocation(entity_id, data.department_id, data.document_name)
    _check_pending_limit(db, location)
    document = _mark_pending(db, location, principal.user_id, document_type.value, data.size_bytes)
    post = s3_client().generate_presigned_post(
        Bucket=get_settings().kb_bucket,
        Key=location.key,
        Fields={"Content-Type": document_type.value},
        Conditions=[
            {"Content-Type": document_type.value},
            ["content-length-range", data.size_bytes, data.size_bytes],
        ],
        ExpiresIn=PRESIGNED_UPLOAD_SECONDS,
    )
    return document, PresignedPost(post["url"], post["fields"], PRESIGNED_UPLOAD_SECONDS, data.size_bytes)


def upload_document(
    *,
    db: Session,
    principal: Principal,
    entity_id: int,
    department_id: int | None,
    document_name: str,
    content_type: str | None,
    content: bytes,
) -> KnowledgeDocument:
    """Sniffs a small file's type (never parses it), stores it in S3 and marks it pending ingestion."""
    get_active_entity(db=db, principal=principal, entity_id=entity_id)
    _check_department(db, entity_id, department_id)
    _check_size(len(content), MAX_DIRECT_UPLOAD_BYTES)
    document_type = detect_document_type(content, content_type, document_name)
    location = DocumentLocation(entity_id, department_id, document_name)
    _check_pending_limit(db, location)
    return store_pending_document(
        db=db,
        location=location,
        content=content,
        content_type=document_type.value,
        uploaded_by=principal.user_id,
    )


def store_pending_document(
    *, db: Session, location: DocumentLocation, content: bytes, content_type: str, uploaded_by: int | None
) -> KnowledgeDocument:
    """Marks a checked document pending ingestion and stores its bytes at its key, which the S3 event
    (or the local poller) then ingests."""
    from meetings.storage import s3_client

    document = _mark_pending(db, location, uploaded_by, content_type, len(content))
    s3_client().put_object(
        Bucket=get_settings().kb_bucket, Key=location.key, Body=content, ContentType=content_type
    )
    return document


def list_documents_query(
    *, db: Session, principal: Principal, entity_id: int, department_id: int | None = None
) -> Select:
    """The entity's documents (optionally one department's), ordered by name."""
    get_entity(db=db, principal=principal, entity_id=entity_id)
    statement = select(KnowledgeDocument).where(KnowledgeDocument.entity_id == entity_id)
    if department_id is not None:
        statement = statement.where(KnowledgeDocument.department_id == department_id)
    return statement.order_by(KnowledgeDocument.document_name, KnowledgeDocument.id)


def get_document(
    *, db: Session, principal: Principal, entity_id: int, document_id: int, for_update: bool = False
) -> KnowledgeDocument:
    """A document of a visible entity; any other id reads as missing. `for_update` locks its row, the
    lock an ingestion holds while it replaces the chunks."""
    get_entity(db=db, principal=principal, entity_id=entity_id)
    document = db.get(
        KnowledgeDocument, document_id, with_for_update=for_update, populate_existing=for_update
    )
    if document is None or document.entity_id != entity_id:
        raise NotFound("Document not found.", code="document_not_found", details={"document_id": document_id})
    return document


def delete_document(*, db: Session, principal: Principal, entity_id: int, document_id: int) -> None:
    """Deletes a document, its chunks and every stored version of its file. The row is locked first: an
    ingestion committing meanwhile is waited for, and the chunks it wrote go too."""
    from meetings.storage import s3_client

    document = get_document(
        db=db, principal=principal, entity_id=entity_id, document_id=document_id, for_update=True
    )
    delete_chunks(db=db, document=document)
    db.delete(document)
    db.flush()
    if document.s3_key:
        client, bucket = s3_client(), get_settings().kb_bucket
        listing = client.list_object_versions(Bucket=bucket, Prefix=document.s3_key)
        versions = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for item in [*listing.get("Versions", []), *listing.get("DeleteMarkers", [])]
            if item["Key"] == document.s3_key
        ]
        if versions:
            client.delete_objects(Bucket=bucket, Delete={"Objects": versions, "Quiet": True})
        else:
            client.delete_object(Bucket=bucket, Key=document.s3_key)


def search_documents(
    *, db: Session, principal: Principal, entity_id: int, data: SearchRequest
) -> list[RetrievedChunk]:
    """The entity's chunks nearest to a question, department override applied, best first."""
    get_entity(db=db, principal=principal, entity_id=entity_id)
    _check_department(db, entity_id, data.department_id, for_upload=False)
    return search_knowledge_text(
        db=db, entity_id=entity_id, department_id=data.department_id, query=data.query, k=data.k
    )


def _check_department(
    db: Session, entity_id: int, department_id: int | None, *, for_upload: bool = True
) -> None:
    if department_id is None:
        return
    department = db.get(Department, department_id)
    if department is None or department.entity_id != entity_id or (for_upload and not department.active):
        raise ValidationFailed(
            "The department does not exist in this entity.",
            code="invalid_department",
            details=[
                {
                    "field": "department_id",
                    "code": "invalid_department",
                    "message": "Not an active department of this entity.",
                }
            ],
        )


def _check_size(size: int, limit: int) -> None:
    if size == 0:
        raise ValidationFailed("The document is empty.", code="empty_document")
    if size > limit:
        raise PayloadTooLarge(
            f"The file is larger than {limit // (1024 * 1024)} MB.",
            code="file_too_large",
            details={"max_size_bytes": limit, "size_bytes": size},
        )


def _check_pending_limit(db: Session, location: DocumentLocation) -> None:
    """Refuses a new pending document while the entity already has its share of the ingestion queue
    (re-uploading a document that is already pending takes no new place)."""
    others_pending = db.scalar(
        select(func.count())
        .select_from(KnowledgeDocument)
        .where(
            KnowledgeDocument.entity_id == location.entity_id,
            KnowledgeDocument.status == DocumentStatus.PENDING,
            KnowledgeDocument.updated_at > func.now() - PENDING_WINDOW,
            or_(
                KnowledgeDocument.document_name != location.document_name,
                KnowledgeDocument.department_id.is_distinct_from(location.department_id),
            ),
        )
    )
    if others_pending >= MAX_PENDING_PER_ENTITY:
        raise TooManyRequests(
            f"{others_pending} documents of this entity are still waiting for ingestion; "
            "upload more once some are ready.",
            code="too_many_pending_documents",
            details={
                "max_pending": MAX_PENDING_PER_ENTITY,
                "retry_after_seconds": PENDING_RETRY_AFTER_SECONDS,
            },
        )


def _mark_pending(
    db: Session, location: DocumentLocation, uploaded_by: int | None, content_type: str, size_bytes: int
) -> KnowledgeDocument:
    """Creates the document row, or marks an existing one pending again (a re-upload replaces it)."""
    values = {
        "status": DocumentStatus.PENDING,
        "error": None,
        "s3_key": location.key,
        "content_type": content_type,
        "size_bytes": size_bytes,
        "uploaded_by": uploaded_by,
    }
    statement = (
        insert(KnowledgeDocument)
        .values(
            entity_id=location.entity_id,
            department_id=location.department_id,
            document_name=location.document_name,
            chunk_count=0,
            **values,
        )
        .on_conflict_do_update(index_elements=["entity_id", "department_id", "document_name"], set_=values)
        .returning(KnowledgeDocument)
    )
    return db.scalars(statement, execution_options={"populate_existing": True}).one()


def delete_entity_knowledge(*, db: Session, entity_id: int) -> tuple[int, int]:
    """Deletes a deleted entity's chunks and documents; returns (chunks, documents) deleted."""
    options = {"synchronize_session": False}
    chunks = db.execute(
        delete(KnowledgeChunk).where(KnowledgeChunk.entity_id == entity_id), execution_options=options
    )
    documents = db.execute(
        delete(KnowledgeDocument).where(KnowledgeDocument.entity_id == entity_id), execution_options=options
    )
    return chunks.rowcount, documents.rowcount
