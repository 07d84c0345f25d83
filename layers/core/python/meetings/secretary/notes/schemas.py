"""Visit notes as the API reads and edits them."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from meetings.manager.note_templates.models import NoteKind
from meetings.secretary.notes.export import SUPPORTS
from meetings.secretary.notes.models import NoteStatus
from meetings.validation import RequestModel, ResponseModel, bounded_text

Support = Literal[SUPPORTS]
SegmentId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class StatementOut(ResponseModel):
    id: str
    text: str
    evidence: list[int] = Field(description="Ids of the transcript segments that support the statement")
    rejected_evidence: list[int] = Field(
        default_factory=list, description="Ids the model cited that are not consented lines of this room"
    )
    support: Support = Field(
        description="`supported`/`unsupported` by the evidence check; `edited` or `added` by a person"
    )


class SectionOut(ResponseModel):
    key: str
    title: str
    statements: list[StatementOut]


class NoteOut(ResponseModel):
    id: int
    room_id: str
    version: int
    status: NoteStatus
    template_ref: str
    template_version: int
    template_name: str
    kind: NoteKind
    sections: list[SectionOut]
    failure_code: str | None
    failure_reason: str | None
    model: str | None
    tokens_input: int | None
    tokens_output: int | None
    drafted_at: datetime | None
    signed_at: datetime | None
    signed_by: int | None
    signer_email: str | None
    content_hash: str | None = Field(description="SHA-256 (hex) of the signed content; see the notes docs")
    amends_note_id: int | None
    created_at: datetime
    updated_at: datetime


class NoteVersionOut(ResponseModel):
    id: int
    version: int
    status: NoteStatus
    signed_at: datetime | None
    signer_email: str | None
    content_hash: str | None
    created_at: datetime


class StatementEdit(RequestModel):
    id: bounded_text(12, min_length=1) | None = Field(
        default=None, description="An existing statement's id; omit it to add a statement"
    )
    text: bounded_text(2000, min_length=1)
    evidence: Annotated[list[SegmentId], Field(max_length=50)] | None = Field(
        default=None,
        description="Transcript segment ids of this room; omitted, an existing statement keeps its own",
    )


class SectionEdit(RequestModel):
    key: bounded_text(40, min_length=1)
    statements: Annotated[list[StatementEdit], Field(max_length=100)]


class NoteEdit(RequestModel):
    """The sections sent replace theirs (statements left out are removed); the others stay as they are."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "sections": [
                        {
                            "key": "plan",
                            "statements": [
                                {
                                    "id": "3f2a9c1b7d4e",
                                    "text": "Amoxicillin 500 mg three times a day for 7 days.",
                                },
                                {"text": "Return in two weeks.", "evidence": [1042]},
                            ],
                        }
                    ]
                }
            ]
        }
    )

    sections: Annotated[list[SectionEdit], Field(min_length=1, max_length=12)]
