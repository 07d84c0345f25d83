"""Who may sign a visit note, and the hash that pins what they signed."""

import hashlib
import json

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from meetings.identity.principal import Principal
from meetings.identity.roles import UserRole
from meetings.manager.professionals.models import Professional, ProfessionalEntity
from meetings.manager.users.models import User
from meetings.secretary.notes.models import VisitNote
from meetings.secretary.rooms.models import Room

HASH_FIELDS = ("room_id", "version", "kind", "template_ref", "template_version", "signer_email", "signed_at")


def may_sign(*, db: Session, principal: Principal, room: Room) -> bool:
    """An ENTITY_ADMIN of the room's entity, or the room's organizer when they are an active
    professional of that entity (matched by email); for a room of no entity, its organizer."""
    if principal.role == UserRole.ENTITY_ADMIN and room.entity_id is not None:
        return principal.entity_id == room.entity_id
    if room.organizer_id != principal.user_id:
        return False
    if room.entity_id is None:
        return True
    email = user_email(db, principal.user_id)
    if email is None:
        return False
    return bool(
        db.scalar(
            select(
                exists()
                .where(func.lower(Professional.email) == email.lower(), Professional.active.is_(True))
                .where(
                    ProfessionalEntity.professional_id == Professional.id,
                    ProfessionalEntity.entity_id == room.entity_id,
                    ProfessionalEntity.active.is_(True),
                )
            )
        )
    )


def user_email(db: Session, user_id: int) -> str | None:
    return db.scalar(select(User.email).where(User.id == user_id))


def signed_content(note: VisitNote) -> dict:
    """What a signature covers: the note's identity, template, every statement with its evidence and
    support, the signer and the time."""
    content = {field: getattr(note, field) for field in HASH_FIELDS}
    content["signed_at"] = note.signed_at.isoformat()
    content["sections"] = [
        {
            "key": section["key"],
            "title": section["title"],
            "statements": [
                {"id": s["id"], "text": s["text"], "evidence": s["evidence"], "support": s["support"]}
                for s in section["statements"]
            ],
        }
        for section in note.sections
    ]
    return content


def content_hash(note: VisitNote) -> str:
    """SHA-256 (hex) of the signed content as canonical JSON (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(signed_content(note), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
