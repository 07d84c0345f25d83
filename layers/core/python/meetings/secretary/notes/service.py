"""Reading, editing, signing and amending a room's visit note. Every change is a room event."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from meetings.errors import Conflict, Forbidden, NotFound, ValidationFailed
from meetings.identity.principal import Principal
from meetings.notifications import outbox
from meetings.notifications.catalogue import EventType
from meetings.secretary.events.models import RoomEventName
from meetings.secretary.events.service import append_room_event
from meetings.secretary.notes.models import NoteStatus, VisitNote
from meetings.secretary.notes.schemas import NoteEdit
from meetings.secretary.notes.signing import content_hash, may_sign, user_email
from meetings.secretary.rooms.models import Room
from meetings.secretary.rooms.service import get_room
from meetings.secretary.transcripts.consented import DECISIONS, HEARD_WITH_CONSENT


def _no_note(room_id: str) -> NotFound:
    return NotFound("This room has no note.", code="note_not_found", details={"room_id": room_id})


def room_note(
    *, db: Session, principal: Principal, room_id: str, version: int | None = None, for_update: bool = False
) -> tuple[Room, VisitNote]:
    """A visible room and its note: the latest version, or the one asked for."""
    room = get_room(db=db, principal=principal, room_id=room_id, for_update=for_update)
    statement = select(VisitNote).where(VisitNote.room_id == room.id)
    statement = (
        statement.where(VisitNote.version == version)
        if version is not None
        else statement.order_by(VisitNote.version.desc()).limit(1)
    )
    note = db.scalars(statement).first()
    if note is None:
        raise (
            _no_note(room_id)
            if version is None
            else NotFound(
                "This note has no such version.", code="note_version_not_found", details={"version": version}
            )
        )
    return room, note


def note_versions(*, db: Session, principal: Principal, room_id: str) -> list[VisitNote]:
    """Every version of the room's note, oldest first."""
    room = get_room(db=db, principal=principal, room_id=room_id)
    versions = list(
        db.scalars(select(VisitNote).where(VisitNote.room_id == room.id).order_by(VisitNote.version))
    )
    if not versions:
        raise _no_note(room_id)
    return versions


def _not_in_status(note: VisitNote, code: str, message: str) -> Conflict:
    return Conflict(message, code=code, details={"status": note.status, "version": note.version})


# What an edit may cite: the room's lines that the speakers' consent covers, as the drafting job reads
# them (never the agent's own speech, nor a line of someone who refused or withdrew).
_CITABLE = f"""
    WITH {DECISIONS}
    SELECT s.id FROM transcript_segments s
    WHERE s.room_id = %(room_id)s AND s.id = ANY(%(ids)s) AND s.speaker_type <> 'AGENT'
      AND {HEARD_WITH_CONSENT}
"""


def _check_evidence_in_room(db: Session, room_id: str, ids: set[int]) -> None:
    if not ids:
        return
    driver = db.connection().connection.driver_connection
    found = {row[0] for row in driver.execute(_CITABLE, {"room_id": room_id, "ids": sorted(ids)})}
    missing = sorted(ids - found)
    if missing:
        raise ValidationFailed(
            "Evidence must name transcript segments of this room that its speakers' consent covers.",
            code="evidence_not_in_room",
            details={"segment_ids": missing[:20]},
        )


def _edited_sections(note: VisitNote, data: NoteEdit) -> list[dict]:
    existing = {s["id"]: s for section in note.sections for s in section["statements"]}
    by_key = {section["key"]: section for section in note.sections}
    sections = {key: dict(section) for key, section in by_key.items()}
    for edit in data.sections:
        if edit.key not in by_key:
            raise ValidationFailed(
                "This note has no such section.", code="unknown_section", details={"key": edit.key}
            )
        statements = []
        for item in edit.statements:
            if item.id is None:
                statements.append(
                    {
                        "id": uuid.uuid4().hex[:12],
                        "text": item.text,
                        "evidence": item.evidence or [],
                        "rejected_evidence": [],
                        "support": "added",
                    }
                )
                continue
            if item.id not in existing:
                raise ValidationFailed(
                    "This note has no such statement.", code="unknown_statement", details={"id": item.id}
                )
            before = existing[item.id]
            evidence = before["evidence"] if item.evidence is None else list(dict.fromkeys(item.evidence))
            changed = item.text != before["text"] or evidence != before["evidence"]
            support = (
                ("added" if before["support"] == "added" else "edited") if changed else before["support"]
            )
            statements.append({**before, "text": item.text, "evidence": evidence, "support": support})
        sections[edit.key]["statements"] = statements
    edited = [sections[section["key"]] for section in note.sections]
    ids = [s["id"] for section in edited for s in section["statements"]]
    repeated = sorted({statement_id for statement_id in ids if ids.count(statement_id) > 1})
    if repeated:
        raise ValidationFailed(
            "A statement may appear once in the note; to move one, send both sections.",
            code="duplicate_statement",
            details={"ids": repeated[:20]},
        )
    return edited


def edit_note(*, db: Session, principal: Principal, room_id: str, data: NoteEdit) -> VisitNote:
    """Replaces the sections sent of a draft; evidence stays attached, changed statements are marked."""
    room, note = room_note(db=db, principal=principal, room_id=room_id, for_update=True)
    if note.status != NoteStatus.DRAFT:
        raise _not_in_status(
            note, "note_not_editable", "Only a draft note can be edited; amend a signed one."
        )
    sections = _edited_sections(note, data)
    _check_evidence_in_room(
        db, room.id, {i for item in data.sections for s in item.statements for i in s.evidence or []}
    )
    note.sections = sections
    append_room_event(
        db=db,
        room_id=room.id,
        event_name=RoomEventName.NOTE_EDITED,
        data={"note_id": note.id, "version": note.version, "by": principal.user_id},
    )
    db.flush()
    db.refresh(note)
    return note


def _check_signer(db: Session, principal: Principal, room: Room) -> None:
    if not may_sign(db=db, principal=principal, room=room):
        raise Forbidden(
            "Only an admin of the room's organization, or its organizer when a professional of it, may sign.",
            code="not_allowed_to_sign",
        )


def sign_note(*, db: Session, principal: Principal, room_id: str) -> VisitNote:
    """Signs the draft: signer, time and the hash of the content; nothing in it can change afterwards."""
    room, note = room_note(db=db, principal=principal, room_id=room_id, for_update=True)
    _check_signer(db, principal, room)
    if note.status in (NoteStatus.SIGNED, NoteStatus.SUPERSEDED):
        raise _not_in_status(note, "note_already_signed", "This version is signed; amend it to change it.")
    if note.status != NoteStatus.DRAFT:
        raise _not_in_status(note, "note_not_ready", "The note has no draft to sign yet.")
    note.signed_by, note.signer_email = principal.user_id, user_email(db, principal.user_id)
    note.signed_at = datetime.now(UTC).replace(microsecond=0)
    note.content_hash = content_hash(note)
    note.status = NoteStatus.SIGNED
    if note.amends_note_id is not None:  # the version it amends stays current until now
        db.execute(
            update(VisitNote)
            .where(VisitNote.id == note.amends_note_id, VisitNote.status == NoteStatus.SIGNED)
            .values(status=NoteStatus.SUPERSEDED)
        )
    data = {"note_id": note.id, "version": note.version, "content_hash": note.content_hash}
    append_room_event(
        db=db, room_id=room.id, event_name=RoomEventName.NOTE_SIGNED, data={**data, "by": principal.user_id}
    )
    outbox.emit(
        db=db, entity_id=room.entity_id, type=EventType.NOTE_SIGNED, data={"room_id": room.id, **data}
    )
    db.flush()
    db.refresh(note)
    return note


def amend_note(*, db: Session, principal: Principal, room_id: str) -> VisitNote:
    """Opens the next version as a draft copy of the signed one. The signed version stays the current
    one until the amendment is signed (then it is superseded), so an amendment that is never signed, or
    that the retention purge removes, leaves the signed note as it was."""
    room, note = room_note(db=db, principal=principal, room_id=room_id, for_update=True)
    _check_signer(db, principal, room)
    if note.status != NoteStatus.SIGNED:
        raise _not_in_status(note, "note_not_signed", "Only a signed note can be amended; edit the draft.")
    amendment = VisitNote(
        room_id=room.id,
        version=note.version + 1,
        status=NoteStatus.DRAFT,
        template_ref=note.template_ref,
        template_version=note.template_version,
        template_name=note.template_name,
        kind=note.kind,
        template_sections=note.template_sections,
        sections=note.sections,
        model=note.model,
        drafted_at=note.drafted_at,
        amends_note_id=note.id,
    )
    db.add(amendment)
    db.flush()
    append_room_event(
        db=db,
        room_id=room.id,
        event_name=RoomEventName.NOTE_AMENDED,
        data={
            "note_id": amendment.id,
            "version": amendment.version,
            "amends": note.id,
            "by": principal.user_id,
        },
    )
    db.flush()
    db.refresh(amendment)
    return amendment
