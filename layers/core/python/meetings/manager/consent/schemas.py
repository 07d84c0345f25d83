"""Consent texts as the API reads and writes them."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from meetings.manager.consent.models import CONSENT_TEXT_MAX_LENGTH
from meetings.validation import RequestModel, ResponseModel

Language = Literal["en", "pt"]
Sentence = Annotated[str, Field(min_length=1, max_length=CONSENT_TEXT_MAX_LENGTH)]


class ConsentTextCreate(RequestModel):
    """A new version of the entity's text in one language (editing is creating the next version)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "language": "en",
                    "recording_text": "This visit may be recorded and kept for 90 days.",
                    "assistant_text": "An AI assistant may transcribe the visit and help the professional.",
                }
            ]
        }
    )

    language: Language
    recording_text: Sentence
    assistant_text: Sentence


class ConsentTextOut(ResponseModel):
    id: int
    entity_id: int
    language: str
    version: int
    recording_text: str
    assistant_text: str
    created_by: int | None
    created_at: datetime


class ConsentTextList(ResponseModel):
    data: list[ConsentTextOut]
