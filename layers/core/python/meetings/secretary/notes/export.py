"""A note as the exports read it: plain frozen data, no database and no web framework."""

from dataclasses import dataclass
from datetime import datetime

from meetings.manager.note_templates.models import NoteKind
from meetings.secretary.notes.models import NoteStatus


@dataclass(frozen=True)
class NoteStatement:
    id: str  # stable id within the note
    text: str
    evidence: tuple[int, ...]  # transcript segment ids
    # "supported" | "unsupported" | "edited" (a person changed a model statement) | "added" (written by a person)
    support: str


@dataclass(frozen=True)
class NoteSection:
    key: str  # e.g. "subjective"
    title: str  # e.g. "Subjective"
    statements: tuple[NoteStatement, ...]


@dataclass(frozen=True)
class NoteForExport:
    note_id: int
    version: int  # 1, 2, ... (an amendment is a new version)
    room_id: str
    room_title: str
    kind: str  # "progress_note" | "consult_note" | "minutes" | "class_summary"
    template_name: str
    status: str  # "draft" | "signed" | "superseded"
    sections: tuple[NoteSection, ...]
    created_at: datetime
    updated_at: datetime
    signed_at: datetime | None
    signer_display: str | None  # the signing user's email (the platform has no names for users)
    signer_user_id: int | None
    author_display: str | None  # the professional of the visit (participant name), if any
    subject_display: str | None  # the client(s) of the visit, participant names joined by ", "
    entity_name: str | None
    period_start: datetime | None
    period_end: datetime | None
    content_hash: str | None  # hex SHA-256 of the signed content, when signed


KINDS = tuple(kind.value for kind in NoteKind)
STATUSES = (
    NoteStatus.DRAFT.value,
    NoteStatus.SIGNED.value,
    NoteStatus.SUPERSEDED.value,
)  # the exportable ones
SUPPORTS = ("supported", "unsupported", "edited", "added")


def check_exportable(note: NoteForExport) -> None:
    """Raises ValueError when the note is not consistent enough to export."""
    if note.kind not in KINDS:
        raise ValueError(f"Unknown note kind {note.kind!r}; expected one of {', '.join(KINDS)}.")
    if note.status not in STATUSES:
        raise ValueError(f"Unknown note status {note.status!r}; expected one of {', '.join(STATUSES)}.")
    if note.version < 1:
        raise ValueError(f"A note version starts at 1, not {note.version}.")
    was_signed = note.status != "draft"
    if was_signed and (note.signed_at is None or not note.signer_display):
        raise ValueError(f"A {note.status} note needs signed_at and signer_display.")
    if not was_signed and note.signed_at is not None:
        raise ValueError("A draft note has no signed_at.")
    moments = {
        "created_at": note.created_at,
        "updated_at": note.updated_at,
        "signed_at": note.signed_at,
        "period_start": note.period_start,
        "period_end": note.period_end,
    }
    for name, moment in moments.items():
        if moment is not None and moment.utcoffset() is None:
            raise ValueError(f"{name} must carry a time zone.")
    if note.period_start and note.period_end and note.period_end < note.period_start:
        raise ValueError("period_end is before period_start.")
    seen: set[str] = set()
    for section in note.sections:
        for statement in section.statements:
            if statement.support not in SUPPORTS:
                raise ValueError(
                    f"Statement {statement.id!r} has unknown support {statement.support!r}; "
                    f"expected one of {', '.join(SUPPORTS)}."
                )
            if statement.id in seen:
                raise ValueError(f"Statement id {statement.id!r} appears twice in the note.")
            seen.add(statement.id)
