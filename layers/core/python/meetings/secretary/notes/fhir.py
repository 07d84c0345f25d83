"""A note as a FHIR R4 DocumentReference shaped for US Core, built and validated by fhir.resources.

fhir.resources loads inside the functions: only the export route pays for it, not every cold start.
The mapping and the reasons for each code are in docs/notes-fhir.md.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import TYPE_CHECKING

from meetings.secretary.notes.export import NoteForExport, check_exportable
from meetings.secretary.notes.markdown import note_markdown

if TYPE_CHECKING:
    from fhir.resources.R4B.documentreference import DocumentReference

LOINC = "http://loinc.org"
DOCUMENT_TYPES = {
    "progress_note": ("11506-3", "Progress note"),
    "consult_note": ("11488-4", "Consult note"),
    "minutes": ("34109-9", "Note"),
    "class_summary": ("34109-9", "Note"),
}
US_CORE_PROFILE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-documentreference"
US_CORE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
IHE_FORMAT_CODES = "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode"
OBSERVATION_VALUE = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"
AI_PROVENANCE = "http://hl7.org/fhir/uv/aitransparency/CodeSystem/AddedProvenanceCS"
AI_PROVENANCE_VERSION = "1.0.0-ballot"
AI_LABELS = {
    "AIRPT": "AI Reported",
    "CLINAST_AIRPT": "Clinician Asserted from AI Reported",
}
DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
URI_IDENTIFIER = "urn:ietf:rfc:3986"
# Fixed namespace of the platform's name-based UUIDs: the same note version always gets the same URN.
NOTE_NAMESPACE = uuid.UUID("0f6f3a52-9a55-4c1e-8d8e-5a0b6f1c2d47")


def document_reference(note: NoteForExport) -> DocumentReference:
    """Builds the note's DocumentReference; fhir.resources validates every element as it is built."""
    from fhir.resources.R4B.attachment import Attachment
    from fhir.resources.R4B.codeableconcept import CodeableConcept
    from fhir.resources.R4B.coding import Coding
    from fhir.resources.R4B.documentreference import DocumentReference, DocumentReferenceContent
    from fhir.resources.R4B.identifier import Identifier
    from fhir.resources.R4B.meta import Meta
    from fhir.resources.R4B.reference import Reference

    check_exportable(note)
    code, display = DOCUMENT_TYPES[note.kind]
    data = note_markdown(note).encode("utf-8")
    signed = note.status != "draft"
    label = "CLINAST_AIRPT" if signed else "AIRPT"

    return DocumentReference(
        id=f"note-{note.note_id}-v{note.version}",
        meta=Meta(
            profile=[US_CORE_PROFILE],
            security=[
                Coding(
                    system=AI_PROVENANCE,
                    version=AI_PROVENANCE_VERSION,
                    code=label,
                    display=AI_LABELS[label],
                ),
                Coding(system=OBSERVATION_VALUE, code="AIAST", display="Artificial Intelligence asserted"),
            ],
        ),
        masterIdentifier=Identifier(
            system=URI_IDENTIFIER, value=_urn(f"note/{note.note_id}/v{note.version}")
        ),
        identifier=[Identifier(system=URI_IDENTIFIER, value=_urn(f"note/{note.note_id}"))],
        status="superseded" if note.status == "superseded" else "current",
        docStatus=_doc_status(note),
        type=CodeableConcept(
            coding=[Coding(system=LOINC, code=code, display=display)],
            text=note.template_name,
        ),
        category=[
            CodeableConcept(
                coding=[Coding(system=US_CORE_CATEGORY, code="clinical-note", display="Clinical Note")]
            )
        ],
        subject=_subject(note),
        date=note.signed_at or note.updated_at,
        author=[Reference(display=note.author_display)] if note.author_display else None,
        authenticator=_signer(note) if signed else None,
        custodian=Reference(display=note.entity_name) if note.entity_name else None,
        description=f"{note.template_name}: {note.room_title}",
        content=[
            DocumentReferenceContent(
                attachment=Attachment(
                    contentType="text/markdown",
                    data=base64.b64encode(data),
                    size=len(data),
                    hash=base64.b64encode(
                        hashlib.sha1(data).digest()
                    ),  # FHIR defines Attachment.hash as SHA-1
                    title=note.room_title,
                    creation=note.created_at,
                ),
                format=Coding(
                    system=IHE_FORMAT_CODES,
                    code="urn:ihe:iti:xds:2017:mimeTypeSufficient",
                    display="mimeType Sufficient",
                ),
            )
        ],
        context=_context(note),
    )


def document_reference_json(note: NoteForExport) -> str:
    """Answers the note's DocumentReference as FHIR JSON."""
    return document_reference(note).model_dump_json(exclude_none=True)


def _doc_status(note: NoteForExport) -> str:
    if note.status == "draft":
        return "preliminary"
    return "final" if note.version == 1 else "amended"


def _subject(note: NoteForExport):
    from fhir.resources.R4B.extension import Extension
    from fhir.resources.R4B.reference import Reference

    if note.subject_display:
        return Reference(display=note.subject_display)
    # US Core requires a subject; a visit without a client participant has none to name.
    return Reference(extension=[Extension(url=DATA_ABSENT_REASON, valueCode="unknown")])


def _signer(note: NoteForExport):
    from fhir.resources.R4B.identifier import Identifier
    from fhir.resources.R4B.reference import Reference

    return Reference(
        display=note.signer_display,
        identifier=Identifier(system=URI_IDENTIFIER, value=f"mailto:{note.signer_display}"),
    )


def _context(note: NoteForExport):
    from fhir.resources.R4B.documentreference import DocumentReferenceContext
    from fhir.resources.R4B.period import Period

    if note.period_start is None and note.period_end is None:
        return None
    return DocumentReferenceContext(period=Period(start=note.period_start, end=note.period_end))


def _urn(name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NOTE_NAMESPACE, name)}"
