"""Demo knowledge for `make run`: an entity-wide FAQ of Demo Clinic and the Cardiology version of its
price list, uploaded once through the upload service; the local poller ingests them like any upload."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from meetings.manager.knowledge.extract import DocumentType
from meetings.manager.knowledge.ingest import DocumentLocation
from meetings.manager.knowledge.models import KnowledgeDocument
from meetings.manager.knowledge.service import store_pending_document

CLINIC_FAQ = """# Opening hours
Demo Clinic receives patients Monday to Friday from 8 am to 6 pm, and Saturdays until noon.

# Prices
A first consultation costs 350 reais; follow-up visits within 30 days are free of charge.

# Parking
Patients park for free in the garage on Rua Augusta: show the ticket at the reception desk.
"""
CARDIOLOGY_PRICES = """# Prices
A cardiology consultation including an electrocardiogram costs 480 reais.
An exercise stress test costs 620 reais and needs a referral.
"""


def seed(db: Session, context: dict) -> list[str]:
    """Uploads the demo documents once; returns how to search them (only when uploaded)."""
    entity_id, department_id = context.get("entity_id"), context.get("department_id")
    if entity_id is None:
        return []
    documents = [(DocumentLocation(entity_id, None, "faq.md"), CLINIC_FAQ)]
    if department_id is not None:
        documents.append((DocumentLocation(entity_id, department_id, "faq.md"), CARDIOLOGY_PRICES))
    exists = db.execute(select(KnowledgeDocument.id).where(KnowledgeDocument.entity_id == entity_id)).first()
    if exists is not None:
        return []
    for location, text in documents:
        store_pending_document(
            db=db,
            location=location,
            content=text.encode(),
            content_type=DocumentType.MARKDOWN.value,
            uploaded_by=None,
        )
    return [
        f"Demo knowledge base: faq.md for the whole clinic and a Cardiology faq.md (ingested in a few seconds); "
        f"try POST /v1/entities/{entity_id}/knowledge-base/search "
        f'{{"query": "How much is a consultation?", "department_id": {department_id}}}'
    ]
