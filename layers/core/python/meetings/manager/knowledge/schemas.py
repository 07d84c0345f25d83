"""Knowledge-base documents and search as the API reads and writes them."""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from meetings.manager.knowledge.models import DocumentStatus
from meetings.validation import RequestModel, ResponseModel, RowId

# Above this size a file goes through a presigned S3 upload instead of the API (API Gateway caps
# request bodies at 10 MB, and a multipart body is held in the Lambda's memory).
MAX_DIRECT_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_K = 50


# S3 keys hold at most 1,024 bytes of UTF-8; the prefix (`kb/<entity>/<department>/`) takes at most 43.
MAX_DOCUMENT_NAME_BYTES = 900


def check_document_name(value: str) -> str:
    """A file name that can be the last part of an S3 key: no path separators or control characters,
    no `$`, `{` or `}` (S3 reads `${filename}` in a presigned POST key as "any name", which would turn
    the policy's exact key into anything under the tenant's prefix), and short enough in UTF-8 for the
    key to fit S3's limit."""
    if (
        value in (".", "..")
        or any(c in value for c in "/\\${}")
        or any(ord(c) < 32 or ord(c) == 127 for c in value)
    ):
        raise PydanticCustomError(
            "invalid_document_name",
            "Document names are file names: no slashes, control characters, $, { or }.",
        )
    if len(value.encode("utf-8", "surrogatepass")) > MAX_DOCUMENT_NAME_BYTES:
        raise PydanticCustomError(
            "invalid_document_name",
            "Document names take at most {limit} bytes in UTF-8.",
            {"limit": MAX_DOCUMENT_NAME_BYTES},
        )
    return value


DocumentName = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(check_document_name)]

DOCUMENT_EXAMPLE = {
    "id": 12,
    "entity_id": 3,
    "department_id": None,
    "document_name": "price-list.pdf",
    "content_type": "application/pdf",
    "size_bytes": 183244,
    "status": "READY",
    "error": None,
    "page_count": 4,
    "chunk_count": 9,
    "uploaded_at": "2026-11-26T04:00:00Z",
    "ingested_at": "2026-11-26T04:00:07Z",
}


class DocumentOut(ResponseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [DOCUMENT_EXAMPLE]})

    id: int
    entity_id: int
    department_id: int | None = Field(description="null for an entity-wide document")
    document_name: str
    content_type: str | None
    size_bytes: int | None
    status: DocumentStatus = Field(description="PENDING until ingested; FAILED with `error` if unreadable")
    error: str | None
    page_count: int | None
    chunk_count: int
    uploaded_at: datetime = Field(validation_alias="created_at")
    ingested_at: datetime | None


class DocumentUploadRequest(RequestModel):
    """Announces an upload; the answer carries a presigned S3 POST for the file itself."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "document_name": "price-list.pdf",
                    "content_type": "application/pdf",
                    "size_bytes": 183244,
                    "department_id": None,
                }
            ]
        }
    )

    document_name: DocumentName
    content_type: str = Field(min_length=1, max_length=100)
    size_bytes: int = Field(ge=0)
    department_id: RowId | None = Field(default=None, description="omit for an entity-wide document")


class PresignedUpload(ResponseModel):
    method: str = Field(description="Always POST: a multipart form with `fields` first, then `file`")
    url: str
    fields: dict[str, str]
    expires_in: int
    max_size_bytes: int


class DocumentUploadOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "document": {
                        **DOCUMENT_EXAMPLE,
                        "status": "PENDING",
                        "chunk_count": 0,
                        "page_count": None,
                    },
                    "upload": {
                        "method": "POST",
                        "url": "https://meetings-knowledge-base.s3.amazonaws.com/",
                        "fields": {
                            "key": "kb/3/entity/price-list.pdf",
                            "Content-Type": "application/pdf",
                            "policy": "...",
                            "x-amz-signature": "...",
                        },
                        "expires_in": 900,
                        "max_size_bytes": 52428800,
                    },
                }
            ]
        }
    )

    document: DocumentOut
    upload: PresignedUpload


class SearchRequest(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"query": "How much is a first consultation?", "department_id": 5, "k": 5}]
        }
    )

    query: str = Field(min_length=1, max_length=2000)
    department_id: RowId | None = Field(
        default=None,
        description="search as this department: its documents override entity-wide ones of the same name",
    )
    k: int = Field(default=5, ge=1, le=MAX_K)


class SearchResult(ResponseModel):
    chunk_id: int
    document_name: str
    department_id: int | None
    page: int
    chunk_index: int
    section: str | None
    text: str
    score: float = Field(description="cosine similarity, 1 - cosine distance")


class SearchResponse(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "results": [
                        {
                            "chunk_id": 311,
                            "document_name": "price-list.pdf",
                            "department_id": None,
                            "page": 2,
                            "chunk_index": 3,
                            "section": None,
                            "text": "First consultation: 200 BRL ...",
                            "score": 0.71,
                        }
                    ]
                }
            ]
        }
    )

    results: list[SearchResult]
