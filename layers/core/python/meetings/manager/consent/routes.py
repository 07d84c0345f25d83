"""/v1/entities/{entity_id}/consent-texts: the versions of what participants are asked to agree to."""

from typing import Literal

from fastapi import APIRouter, status

from meetings.api.database import DbSession
from meetings.api.params import IdPath
from meetings.identity.dependency import CurrentPrincipal
from meetings.manager.consent import service
from meetings.manager.consent.schemas import ConsentTextCreate, ConsentTextList, ConsentTextOut

router = APIRouter(tags=["consent"])

NOT_FOUND = {404: {"description": "No such entity or text, or it belongs to another entity"}}


@router.post(
    "/v1/entities/{entity_id}/consent-texts",
    status_code=status.HTTP_201_CREATED,
    summary="Add the next version of the entity's consent text in a language",
    responses={**NOT_FOUND, 409: {"description": "The entity is deleted"}},
)
def create_consent_text(
    entity_id: IdPath, data: ConsentTextCreate, db: DbSession, principal: CurrentPrincipal
) -> ConsentTextOut:
    text = service.create_consent_text(db=db, principal=principal, entity_id=entity_id, data=data)
    return ConsentTextOut.model_validate(text)


@router.get(
    "/v1/entities/{entity_id}/consent-texts",
    summary="Every version of the entity's consent texts, newest first",
    responses=NOT_FOUND,
)
def list_consent_texts(
    entity_id: IdPath, db: DbSession, principal: CurrentPrincipal, language: Literal["en", "pt"] | None = None
) -> ConsentTextList:
    texts = service.list_consent_texts(db=db, principal=principal, entity_id=entity_id, language=language)
    return ConsentTextList(data=[ConsentTextOut.model_validate(t) for t in texts])


@router.get(
    "/v1/entities/{entity_id}/consent-texts/{consent_text_id}",
    summary="One version of a consent text",
    responses=NOT_FOUND,
)
def get_consent_text(
    entity_id: IdPath, consent_text_id: IdPath, db: DbSession, principal: CurrentPrincipal
) -> ConsentTextOut:
    text = service.get_consent_text(
        db=db, principal=principal, entity_id=entity_id, consent_text_id=consent_text_id
    )
    return ConsentTextOut.model_validate(text)
