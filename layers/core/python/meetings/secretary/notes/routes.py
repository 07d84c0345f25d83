"""/v1/rooms/{room_id}/note: the visit's note, its review, signature, amendments and versions."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from meetings.api.database import DbSession
from meetings.api.params import RoomIdPath
from meetings.identity.dependency import CurrentPrincipal
from meetings.secretary.notes import service
from meetings.secretary.notes.exporting import note_for_export
from meetings.secretary.notes.schemas import NoteEdit, NoteOut, NoteVersionOut

ERRORS = {
    401: {"description": "`not_authenticated`, `invalid_token` or `token_expired`"},
    404: {"description": "`room_not_found` (also for another organization's rooms) or `note_not_found`"},
}
SIGNING_ERRORS = {
    403: {"description": "`not_allowed_to_sign`"},
    409: {"description": "`note_not_ready`, `note_already_signed` or `note_not_signed`"},
}
VersionPath = Path(ge=1, le=2**31 - 1)

router = APIRouter(prefix="/v1/rooms/{room_id}/note", tags=["notes"], responses=ERRORS)


@router.get(
    "",
    response_model=NoteOut,
    summary="The visit's note (latest version)",
    description="Drafted by the model when the room ends (`pending`, then `draft` or `failed`); each "
    "statement cites the transcript segments that support it and says whether the evidence check found "
    "support. Participants never see notes.",
)
def get_note(room_id: RoomIdPath, db: DbSession, principal: CurrentPrincipal):
    return service.room_note(db=db, principal=principal, room_id=room_id)[1]


@router.patch(
    "",
    response_model=NoteOut,
    summary="Edit the draft",
    description="The sections sent replace theirs: statements with an `id` are kept (their evidence too, "
    "unless `evidence` is sent) and marked `edited` when changed; statements without one are added; "
    "statements left out are removed.",
    responses={
        409: {"description": "`note_not_editable`"},
        422: {
            "description": "`unknown_section`, `unknown_statement`, `duplicate_statement`, "
            "`evidence_not_in_room` or a bad body"
        },
    },
)
def edit_note(room_id: RoomIdPath, data: NoteEdit, db: DbSession, principal: CurrentPrincipal):
    return service.edit_note(db=db, principal=principal, room_id=room_id, data=data)


@router.post(
    "/sign",
    response_model=NoteOut,
    summary="Sign the draft",
    description="By an ENTITY_ADMIN of the room's organization, or by the room's organizer when they are an "
    "active professional of it. Stores the signer, the time and a SHA-256 of the signed content; the "
    "database refuses any later change to a signed version.",
    responses=SIGNING_ERRORS,
)
def sign_note(room_id: RoomIdPath, db: DbSession, principal: CurrentPrincipal):
    return service.sign_note(db=db, principal=principal, room_id=room_id)


@router.post(
    "/amend",
    response_model=NoteOut,
    status_code=201,
    summary="Amend a signed note",
    description="Opens the next version as a draft copy of the signed one. The signed version stays "
    "current until the amendment is signed, then it is kept and marked `superseded`. Same signers as signing.",
    responses=SIGNING_ERRORS,
)
def amend_note(room_id: RoomIdPath, db: DbSession, principal: CurrentPrincipal):
    return service.amend_note(db=db, principal=principal, room_id=room_id)


@router.get(
    "/versions", response_model=list[NoteVersionOut], summary="Every version of the note, oldest first"
)
def list_note_versions(room_id: RoomIdPath, db: DbSession, principal: CurrentPrincipal):
    return service.note_versions(db=db, principal=principal, room_id=room_id)


@router.get(
    "/versions/{version}",
    response_model=NoteOut,
    summary="One version of the note",
    responses={404: {"description": "`room_not_found`, `note_not_found` or `note_version_not_found`"}},
)
def get_note_version(
    room_id: RoomIdPath, db: DbSession, principal: CurrentPrincipal, version: int = VersionPath
):
    return service.room_note(db=db, principal=principal, room_id=room_id, version=version)[1]


FHIR_JSON = "application/fhir+json"


@router.get(
    "/fhir",
    summary="The note as a FHIR R4 DocumentReference",
    description="Shaped for US Core DocumentReference: LOINC type by template kind, `docStatus` "
    "preliminary / final / amended, the note as a `text/markdown` attachment, and HL7 AI Transparency "
    "labels (`AIRPT` while a draft, `CLINAST_AIRPT` once signed). `?version=` picks an older version.",
    response_class=Response,
    responses={
        200: {"content": {FHIR_JSON: {"schema": {"type": "object"}}}},
        404: {"description": "`room_not_found`, `note_not_found` or `note_version_not_found`"},
        409: {"description": "`note_not_ready` (pending or failed)"},
    },
)
def get_note_fhir(
    room_id: RoomIdPath,
    db: DbSession,
    principal: CurrentPrincipal,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    from meetings.secretary.notes.fhir import document_reference_json

    note = note_for_export(db=db, principal=principal, room_id=room_id, version=version)
    return Response(content=document_reference_json(note), media_type=FHIR_JSON)
