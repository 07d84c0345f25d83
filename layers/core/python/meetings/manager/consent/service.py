"""An entity's consent texts: versioned per language, append-only, the newest one in force."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from meetings.errors import NotFound
from meetings.identity.principal import Principal
from meetings.manager.consent.models import ConsentText
from meetings.manager.consent.schemas import ConsentTextCreate
from meetings.manager.entities.access import get_active_entity, get_entity
from meetings.manager.entities.models import Entity


def create_consent_text(
    *, db: Session, principal: Principal, entity_id: int, data: ConsentTextCreate
) -> ConsentText:
    """Adds the next version of the entity's text in a language (the entity row lock orders versions)."""
    get_active_entity(db=db, principal=principal, entity_id=entity_id)
    db.execute(select(Entity.id).where(Entity.id == entity_id).with_for_update())
    latest = db.execute(
        select(func.max(ConsentText.version)).where(
            ConsentText.entity_id == entity_id, ConsentText.language == data.language
        )
    ).scalar()
    text = ConsentText(
        entity_id=entity_id, version=(latest or 0) + 1, created_by=principal.user_id, **data.model_dump()
    )
    db.add(text)
    db.flush()
    return text


def list_consent_texts(
    *, db: Session, principal: Principal, entity_id: int, language: str | None
) -> list[ConsentText]:
    """Every version of the entity's texts, newest first."""
    get_entity(db=db, principal=principal, entity_id=entity_id)
    statement = select(ConsentText).where(ConsentText.entity_id == entity_id)
    if language is not None:
        statement = statement.where(ConsentText.language == language)
    return list(db.scalars(statement.order_by(ConsentText.language, ConsentText.version.desc())))


def get_consent_text(
    *, db: Session, principal: Principal, entity_id: int, consent_text_id: int
) -> ConsentText:
    """One version, old or current."""
    get_entity(db=db, principal=principal, entity_id=entity_id)
    text = db.get(ConsentText, consent_text_id)
    if text is None or text.entity_id != entity_id:
        raise NotFound("Consent text not found.", code="consent_text_not_found")
    return text


def current_consent_text(*, db: Session, entity_id: int | None, language: str) -> ConsentText | None:
    """The version in force for a language (English when the language has none), or None."""
    if entity_id is None:
        return None
    for wanted in dict.fromkeys((language, "en")):
        text = db.scalars(
            select(ConsentText)
            .where(ConsentText.entity_id == entity_id, ConsentText.language == wanted)
            .order_by(ConsentText.version.desc())
            .limit(1)
        ).first()
        if text is not None:
            return text
    return None
