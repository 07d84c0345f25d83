"""A stored note version as the exports read it (NoteForExport): the note, its room and the people
of the visit."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from meetings.errors import Conflict
from meetings.identity.principal import Principal
from meetings.manager.entities.models import Entity
from meetings.secretary.notes.export import STATUSES, NoteForExport, NoteSection, NoteStatement
from meetings.secretary.notes.models import VisitNote
from meetings.secretary.notes.service import room_note
from meetings.secretary.participants.models import Participant, ParticipantType, RoomParticipant
from meetings.secretary.rooms.models import Room


def _names(db: Session, room_id: str, kind: ParticipantType) -> str | None:
    names = db.scalars(
        select(Participant.name)
        .join(RoomParticipant, RoomParticipant.participant_id == Participant.id)
        .where(RoomParticipant.room_id == room_id, Participant.type == kind)
        .order_by(Participant.name)
        .distinct()
    ).all()
    return ", ".join(names) or None


def _first_version_id(db: Session, note: VisitNote) -> int:
    """The id the exports keep across versions: the first version's."""
    if note.version == 1:
        return note.id
    return db.scalar(select(VisitNote.id).where(VisitNote.room_id == note.room_id, VisitNote.version == 1))


def _export(db: Session, room: Room, note: VisitNote) -> NoteForExport:
    entity = db.get(Entity, room.entity_id) if room.entity_id is not None else None
    return NoteForExport(
        note_id=_first_version_id(db, note),
        version=note.version,
        room_id=room.id,
        room_title=room.title,
        kind=note.kind,
        template_name=note.template_name,
        status=note.status,
        sections=tuple(
            NoteSection(
                key=section["key"],
                title=section["title"],
                statements=tuple(
                    NoteStatement(
                        id=s["id"], text=s["text"], evidence=tuple(s["evidence"]), support=s["support"]
                    )
                    for s in section["statements"]
                ),
            )
            for section in note.sections
        ),
        created_at=note.created_at,
        updated_at=note.updated_at,
        signed_at=note.signed_at,
        signer_display=note.signer_email,
        signer_user_id=note.signed_by,
        author_display=_names(db, room.id, ParticipantType.PROFESSIONAL),
        subject_display=_names(db, room.id, ParticipantType.CLIENT),
        entity_name=entity.name if entity else None,
        period_start=room.started_at,
        period_end=room.ended_at,
        content_hash=note.content_hash,
    )


def note_for_export(
    *, db: Session, principal: Principal, room_id: str, version: int | None = None
) -> NoteForExport:
    """The latest (or asked-for) version of a visible room's note, once there is a draft to export."""
    room, note = room_note(db=db, principal=principal, room_id=room_id, version=version)
    if note.status not in STATUSES:
        raise Conflict(
            "The note has no draft to export yet.",
            code="note_not_ready",
            details={"status": note.status, "version": note.version},
        )
    return _export(db, room, note)
