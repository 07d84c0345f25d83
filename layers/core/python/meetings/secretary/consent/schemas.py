"""Consent decisions as the API reads them."""

from datetime import datetime

from pydantic import BaseModel


class ConsentRecordOut(BaseModel):
    id: int
    participant_id: int
    participant_name: str
    action: str
    recording: bool
    assistant: bool
    consent_text_id: int | None
    consent_text_version: int | None
    consent_text_language: str | None
    client_address_hash: str | None
    decided_at: datetime


class RoomConsents(BaseModel):
    data: list[ConsentRecordOut]
