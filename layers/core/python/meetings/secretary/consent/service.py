"""Consent decisions: recorded with each granted join and each withdrawal, read as "latest wins".

The client address is kept only as HMAC-SHA256 under the platform's JWT secret: equal addresses can be
matched, but the 2^32 IPv4 space cannot be brute-forced from the table alone.
"""

import hashlib
import hmac

from sqlalchemy import select
from sqlalchemy.orm import Session

from meetings.manager.consent.models import ConsentText
from meetings.manager.consent.service import current_consent_text
from meetings.secretary.consent.models import ConsentAction, ConsentRecord
from meetings.secretary.participants.models import Participant
from meetings.settings import get_settings


def hash_client_address(address: str | None) -> str | None:
    if not address:
        return None
    key = get_settings().jwt_secret.get_secret_value().encode()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


def record_join_consent(
    *,
    db: Session,
    room_id: str,
    entity_id: int | None,
    participant_id: int,
    recording: bool,
    assistant: bool,
    language: str,
    client_address: str | None,
) -> ConsentRecord:
    """Stores the choices a granted join carried, against the text version in force."""
    text = current_consent_text(db=db, entity_id=entity_id, language=language)
    record = ConsentRecord(
        room_id=room_id,
        participant_id=participant_id,
        consent_text_id=text.id if text is not None else None,
        action=ConsentAction.JOIN,
        recording=recording,
        assistant=assistant,
        client_address_hash=hash_client_address(client_address),
    )
    db.add(record)
    db.flush()
    return record


def latest_consent(*, db: Session, room_id: str, participant_id: int) -> ConsentRecord | None:
    return db.scalars(
        select(ConsentRecord)
        .where(ConsentRecord.room_id == room_id, ConsentRecord.participant_id == participant_id)
        .order_by(ConsentRecord.id.desc())
        .limit(1)
    ).first()


def withdraw_assistant_consent(
    *, db: Session, room_id: str, participant_id: int, client_address: str | None
) -> ConsentRecord:
    """Stores a withdrawal of assistant consent (recording consent stays as it was)."""
    previous = latest_consent(db=db, room_id=room_id, participant_id=participant_id)
    record = ConsentRecord(
        room_id=room_id,
        participant_id=participant_id,
        consent_text_id=previous.consent_text_id if previous is not None else None,
        action=ConsentAction.WITHDRAW,
        recording=previous.recording if previous is not None else False,
        assistant=False,
        client_address_hash=hash_client_address(client_address),
    )
    db.add(record)
    db.flush()
    return record


def consents_of_room(
    *, db: Session, room_id: str
) -> list[tuple[ConsentRecord, Participant, ConsentText | None]]:
    """Every decision in the room, oldest first, with the participant and the text version."""
    rows = db.execute(
        select(ConsentRecord, Participant, ConsentText)
        .join(Participant, Participant.id == ConsentRecord.participant_id)
        .outerjoin(ConsentText, ConsentText.id == ConsentRecord.consent_text_id)
        .where(ConsentRecord.room_id == room_id)
        .order_by(ConsentRecord.id)
    ).all()
    return [tuple(row) for row in rows]


def without_recording_consent(*, db: Session, room_id: str, participant_ids: list[int]) -> list[int]:
    """Which of these participants' latest decision in the room is not "yes" to recording."""
    missing = []
    for participant_id in participant_ids:
        latest = latest_consent(db=db, room_id=room_id, participant_id=participant_id)
        if latest is None or not latest.recording:
            missing.append(participant_id)
    return missing
