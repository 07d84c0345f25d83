"""Note templates as the API reads and writes them."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator

from meetings.manager.note_templates.models import MAX_SECTIONS, NoteKind
from meetings.validation import RequestModel, ResponseModel, RowId, bounded_text

SectionKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", description="lower_snake_case, unique")]

SECTIONS_EXAMPLE = [
    {"key": "subjective", "title": "Subjective", "instructions": "What the patient reports."},
    {"key": "plan", "title": "Plan", "instructions": "What was agreed, with doses and dates as stated."},
]


class TemplateSection(RequestModel):
    key: SectionKey
    title: bounded_text(80, min_length=1)
    instructions: bounded_text(2000, min_length=1)


def _unique_keys(sections: list[TemplateSection] | None) -> list[TemplateSection] | None:
    if sections is not None:
        keys = [section.key for section in sections]
        if len(set(keys)) != len(keys):
            raise ValueError("section keys must be unique")
    return sections


Sections = Annotated[list[TemplateSection], Field(min_length=1, max_length=MAX_SECTIONS)]


class NoteTemplateCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Cardiology follow-up",
                    "kind": "progress_note",
                    "is_default": True,
                    "sections": SECTIONS_EXAMPLE,
                }
            ]
        }
    )

    name: bounded_text(100, min_length=1)
    kind: NoteKind
    department_id: RowId | None = Field(default=None, description="Set for a department's own template")
    is_default: bool = Field(default=False, description="Used for the entity's (or department's) rooms")
    sections: Sections

    _keys = field_validator("sections")(_unique_keys)


class NoteTemplateUpdate(RequestModel):
    """Only the fields sent change; changing `kind` or `sections` raises `version`."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"is_default": True}]})

    name: bounded_text(100, min_length=1) = None
    kind: NoteKind = None
    is_default: bool = None
    sections: Sections = None

    _keys = field_validator("sections")(_unique_keys)


class TemplateSectionOut(ResponseModel):
    key: str
    title: str
    instructions: str


class NoteTemplateOut(ResponseModel):
    id: int
    entity_id: int
    department_id: int | None
    name: str
    kind: NoteKind
    is_default: bool
    version: int
    sections: list[TemplateSectionOut]
    created_at: datetime
    updated_at: datetime


class EffectiveTemplateOut(ResponseModel):
    """The template a new room's note would follow, stored or built in."""

    source: Literal["department", "entity", "builtin"]
    template_ref: str = Field(description="`template:<id>` or `builtin:<name>`")
    template_id: int | None
    name: str
    kind: NoteKind
    version: int
    sections: list[TemplateSectionOut]
