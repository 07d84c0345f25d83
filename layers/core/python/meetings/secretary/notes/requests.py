"""Asking for a room's draft note when the room ends: version 1, pending, with the template in force
copied in. Asking twice (the organizer's end and LiveKit's room_finished) keeps the first."""

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from meetings.manager.note_templates.service import template_for
from meetings.secretary.notes import queue
from meetings.secretary.notes.models import NoteStatus, VisitNote


def request_draft_note(
    *, db: Session, room_id: str, entity_id: int | None, department_id: int | None
) -> int | None:
    """Queues the drafting job for a room that ran; returns the new note's id, None if one exists."""
    _, template = template_for(db=db, entity_id=entity_id, department_id=department_id)
    statement = (
        insert(VisitNote)
        .values(
            room_id=room_id,
            version=1,
            status=NoteStatus.PENDING.value,
            template_ref=template.ref,
            template_version=template.version,
            template_name=template.name,
            kind=template.kind.value,
            template_sections=list(template.sections),
            sections=[],
        )
        .on_conflict_do_nothing(index_elements=[VisitNote.room_id, VisitNote.version])
        .returning(VisitNote.id)
    )
    note_id = db.execute(statement).scalar()
    if note_id is not None:
        queue.hand_over_after_commit(db, note_id)
    return note_id
