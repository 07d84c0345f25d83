"""Knowledge-base documents: upload (presigned or direct), list, get, delete. Search is served by the
knowledge search app (search_routes.py), the one that carries the embedding model."""

from fastapi import APIRouter, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import UploadFile

from meetings.api.database import DbSession
from meetings.api.inline_routes import run_blocking
from meetings.api.pagination import Page, Pagination, paginate
from meetings.api.params import IdPath, IdQuery
from meetings.errors import PayloadTooLarge, UnsupportedMediaType
from meetings.identity.dependency import CurrentPrincipal
from meetings.manager.knowledge import service
from meetings.manager.knowledge.schemas import (
    MAX_DIRECT_UPLOAD_BYTES,
    DocumentName,
    DocumentOut,
    DocumentUploadOut,
    DocumentUploadRequest,
    PresignedUpload,
)

router = APIRouter(tags=["knowledge-base"])

DOCUMENTS_PATH = "/v1/entities/{entity_id}/knowledge-base/documents"
MULTIPART_OVERHEAD_BYTES = 64 * 1024

UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": DocumentUploadRequest.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": f"at most {MAX_DIRECT_UPLOAD_BYTES // (1024 * 1024)} MB",
                        },
                        "department_id": {"type": "integer"},
                        "document_name": {"type": "string", "description": "defaults to the file's name"},
                    },
                }
            },
        },
    }
}
UPLOAD_RESPONSES = {
    201: {
        "model": DocumentUploadOut,
        "description": "JSON request: upload the file with the presigned POST.",
    },
    202: {
        "model": DocumentOut,
        "description": "Multipart request: stored; ingestion follows (poll the document: READY, or FAILED "
        "with the reason in `error`).",
    },
    413: {
        "description": "`file_too_large`: above 5 MB direct, 50 MB presigned. `document_too_large`: a DOCX "
        "whose zip directory exceeds a reading limit (parts, expanded size, XML size, expansion ratio); "
        "`details` names the `limit` with its `max` and `actual` values."
    },
    415: {
        "description": "`unsupported_document_type`: only PDF, DOCX, Markdown and plain UTF-8 text, and the "
        "content must match the type (`details.allowed` lists them). `unsupported_media_type`: the request "
        "body is neither JSON nor multipart."
    },
    422: {
        "description": "`empty_document` (no bytes, or blank text), `unreadable_document` (a DOCX whose zip "
        "is damaged), `invalid_department`, or field errors (`details` lists `field`, `code`, `message`). "
        "PDF and DOCX content is not parsed here: a document the ingestion cannot read becomes FAILED."
    },
    429: {
        "description": "`too_many_pending_documents`: the entity already has its share of documents waiting "
        "for ingestion; retry after the `Retry-After` seconds."
    },
}

_document_name = TypeAdapter(DocumentName)
_department_id = TypeAdapter(int | None)


@router.post(
    DOCUMENTS_PATH,
    status_code=status.HTTP_201_CREATED,
    summary="Upload a document (JSON for a presigned S3 upload, multipart for a small file)",
    openapi_extra=UPLOAD_BODY,
    responses=UPLOAD_RESPONSES,
    response_model=None,
)
async def upload_document(
    request: Request, db: DbSession, principal: CurrentPrincipal, entity_id: IdPath
) -> Response:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "multipart/form-data":
        return await _direct_upload(request, db, principal, entity_id)
    if media_type == "application/json":
        return await _presigned_upload(request, db, principal, entity_id)
    raise UnsupportedMediaType("Send application/json or multipart/form-data.", code="unsupported_media_type")


async def _presigned_upload(request: Request, db, principal, entity_id: int) -> Response:
    try:
        data = DocumentUploadRequest.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from exc

    def work():
        document, upload = service.request_upload(db=db, principal=principal, entity_id=entity_id, data=data)
        return DocumentUploadOut(
            document=DocumentOut.model_validate(document), upload=PresignedUpload.model_validate(upload)
        )

    answer = await run_blocking(request, work)
    return JSONResponse(answer.model_dump(mode="json"), status_code=status.HTTP_201_CREATED)


async def _direct_upload(request: Request, db, principal, entity_id: int) -> Response:
    if int(request.headers.get("content-length") or 0) > MAX_DIRECT_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES:
        raise _too_large()
    form = await request.form(max_files=1, max_fields=5)
    upload = form.get("file")
    errors = []
    if not isinstance(upload, UploadFile):
        errors.append({"type": "missing", "loc": ("file",), "msg": "A file is required."})
    department_id = _form_value(form.get("department_id") or None, _department_id, "department_id", errors)
    name = form.get("document_name") or (upload.filename if isinstance(upload, UploadFile) else None)
    document_name = _form_value(name, _document_name, "document_name", errors) if upload or name else None
    if errors:
        raise RequestValidationError(errors)
    content = await upload.read(MAX_DIRECT_UPLOAD_BYTES + 1)
    if len(content) > MAX_DIRECT_UPLOAD_BYTES:
        raise _too_large()

    def work():
        document = service.upload_document(
            db=db,
            principal=principal,
            entity_id=entity_id,
            department_id=department_id,
            document_name=document_name,
            content_type=upload.content_type,
            content=content,
        )
        return DocumentOut.model_validate(document)

    answer = await run_blocking(request, work)
    return JSONResponse(answer.model_dump(mode="json"), status_code=status.HTTP_202_ACCEPTED)


def _form_value(value, adapter: TypeAdapter, field: str, errors: list):
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        errors.extend({**error, "loc": (field,)} for error in exc.errors(include_url=False))
        return None


def _too_large() -> PayloadTooLarge:
    return PayloadTooLarge(
        f"Files above {MAX_DIRECT_UPLOAD_BYTES // (1024 * 1024)} MB must use the presigned upload (send JSON).",
        code="file_too_large",
        details={"max_size_bytes": MAX_DIRECT_UPLOAD_BYTES},
    )


@router.get(
    DOCUMENTS_PATH, response_model=Page[DocumentOut], summary="List an entity's knowledge-base documents"
)
def list_documents(
    db: DbSession,
    principal: CurrentPrincipal,
    page: Pagination,
    entity_id: IdPath,
    department_id: IdQuery = None,
):
    statement = service.list_documents_query(
        db=db, principal=principal, entity_id=entity_id, department_id=department_id
    )
    return paginate(db, statement, page, schema=DocumentOut)


@router.get(
    DOCUMENTS_PATH + "/{document_id}",
    response_model=DocumentOut,
    summary="Get a document and its ingestion status",
)
def get_document(db: DbSession, principal: CurrentPrincipal, entity_id: IdPath, document_id: IdPath):
    return DocumentOut.model_validate(
        service.get_document(db=db, principal=principal, entity_id=entity_id, document_id=document_id)
    )


@router.delete(
    DOCUMENTS_PATH + "/{document_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a document, its chunks and its stored file",
)
def delete_document(
    db: DbSession, principal: CurrentPrincipal, entity_id: IdPath, document_id: IdPath
) -> Response:
    service.delete_document(db=db, principal=principal, entity_id=entity_id, document_id=document_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
