"""Request and response bodies of /v1/participants and /v1/rooms/{id}/participants."""

from datetime import datetime
from typing import Annotated

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from meetings.secretary.participants.models import ParticipantType
from meetings.validation import EmailAddress, PhoneNumber, RequestModel, ResponseModel, RowId

Name = Annotated[str, Field(min_length=1, max_length=100)]
ExternalId = Annotated[str, Field(min_length=1, max_length=254)]

PARTICIPANT_EXAMPLE = {
    "name": "Maria Silva",
    "type": "CLIENT",
    "phone_number": "+5511987654321",
    "email": "maria@example.com",
    "external_id": "crm-4411",
}


class ParticipantCreate(RequestModel):
    name: Name
    type: ParticipantType
    phone_number: PhoneNumber
    email: EmailAddress | None = None
    external_id: ExternalId | None = None
    professional_id: RowId | None = Field(
        default=None, description="Required for PROFESSIONAL, forbidden otherwise"
    )

    model_config = {"json_schema_extra": {"examples": [PARTICIPANT_EXAMPLE]}}

    @model_validator(mode="after")
    def _professional_rule(self) -> "ParticipantCreate":
        if self.type == ParticipantType.PROFESSIONAL and self.professional_id is None:
            raise PydanticCustomError(
                "professional_id_required", "A PROFESSIONAL participant needs professional_id."
            )
        if self.type != ParticipantType.PROFESSIONAL and self.professional_id is not None:
            raise PydanticCustomError(
                "professional_id_not_allowed", "Only a PROFESSIONAL participant has professional_id."
            )
        return self


class ParticipantUpdate(RequestModel):
    name: Name | None = None
    phone_number: PhoneNumber | None = None
    email: EmailAddress | None = None
    external_id: ExternalId | None = None

    model_config = {"json_schema_extra": {"examples": [{"name": "Maria S. Silva"}]}}

    @model_validator(mode="after")
    def _required_stay_set(self) -> "ParticipantUpdate":
        for field in ("name", "phone_number"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise PydanticCustomError("not_nullable", "{field} cannot be empty.", {"field": field})
        return self


class ProfessionalSummary(ResponseModel):
    id: int
    name: str
    email: str | None
    phone_number: str
    license_number: str | None


class ParticipantOut(ResponseModel):
    id: int
    name: str
    type: ParticipantType
    phone_number: str
    email: str | None
    external_id: str | None
    professional_id: int | None
    professional: ProfessionalSummary | None = None
    created_at: datetime
    updated_at: datetime


class RoomParticipantAdd(RequestModel):
    participant_id: RowId | None = Field(default=None, description="An existing participant")
    participant: ParticipantCreate | None = Field(
        default=None, description="A new participant, or the one with the same phone + type or external_id"
    )
    is_organizer: bool = False

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"participant_id": 12, "is_organizer": True},
                {"participant": PARTICIPANT_EXAMPLE, "is_organizer": False},
            ]
        }
    }

    @model_validator(mode="after")
    def _exactly_one(self) -> "RoomParticipantAdd":
        if (self.participant_id is None) == (self.participant is None):
            raise PydanticCustomError("participant_required", "Give either participant_id or participant.")
        return self


class RoomParticipantOut(ResponseModel):
    id: int
    room_id: str
    participant_id: int
    is_organizer: bool
    magic_link_expires_at: datetime | None
    failed_attempts: int
    locked_until: datetime | None
    joined_at: datetime | None
    left_at: datetime | None
    participant: ParticipantOut
    created_at: datetime


class MagicLinkOut(RoomParticipantOut):
    """Shown once: the link and password are not stored in the clear and never returned again."""

    magic_link_url: str = Field(repr=False)
    password: str = Field(description="8 digits; shown only in this answer", repr=False)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": 7,
                    "room_id": "5b0e6c1e-3f1a-4c52-9a57-1f0c9e1a2b3c",
                    "participant_id": 12,
                    "is_organizer": False,
                    "magic_link_expires_at": "2030-01-30T10:00:00Z",
                    "failed_attempts": 0,
                    "locked_until": None,
                    "joined_at": None,
                    "left_at": None,
                    "participant": {
                        **PARTICIPANT_EXAMPLE,
                        "id": 12,
                        "professional_id": None,
                        "professional": None,
                        "created_at": "2030-01-29T10:00:00Z",
                        "updated_at": "2030-01-29T10:00:00Z",
                    },
                    "created_at": "2030-01-29T10:00:00Z",
                    "magic_link_url": "https://meet.example.com/join/0f8e4c52-7d1b-4b8a-9c3e-2a1b0c9d8e7f",
                    "password": "48213957",
                }
            ]
        }
    }
