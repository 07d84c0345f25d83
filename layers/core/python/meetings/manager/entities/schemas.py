"""Organizations as the API reads and writes them."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StrictBool

from meetings.constraints import INSTRUCTIONS_MAX_LENGTH, MAX_PARTICIPANTS_RANGE
from meetings.validation import RequestModel, ResponseModel

EntityName = Annotated[str, Field(min_length=1, max_length=200)]
EntityType = Annotated[str, Field(min_length=1, max_length=100, examples=["medical_clinic"])]
Instructions = Annotated[str, Field(max_length=INSTRUCTIONS_MAX_LENGTH)]
MaxParticipants = Annotated[int, Field(ge=MAX_PARTICIPANTS_RANGE[0], le=MAX_PARTICIPANTS_RANGE[1])]
RetentionDays = Literal[30, 90, 365]

ENTITY_EXAMPLE = {
    "name": "Clínica Bem Estar",
    "type": "medical_clinic",
    "default_instructions": "You assist a medical clinic. Be concise.",
    "max_participants": 10,
    "recording_retention_days": 90,
}


class EntityOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    **ENTITY_EXAMPLE,
                    "active": True,
                    "created_at": "2026-11-26T04:00:00Z",
                    "updated_at": "2026-11-26T04:00:00Z",
                }
            ]
        }
    )

    id: int
    name: str
    type: str
    default_instructions: str | None
    max_participants: int
    recording_retention_days: int
    waiting_room: bool = Field(description="Rooms' default: clients wait for the organizer to let them in")
    active: bool
    created_at: datetime
    updated_at: datetime


class EntityCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ENTITY_EXAMPLE]})

    name: EntityName
    type: EntityType
    default_instructions: Instructions | None = None
    max_participants: MaxParticipants = 50
    recording_retention_days: RetentionDays = 30
    waiting_room: StrictBool | None = Field(
        default=None,
        description="Defaults to on for health-care types (clinic, medical, therapy...), else off",
    )


class EntityUpdate(RequestModel):
    """Only the fields sent change; `default_instructions` may be null to clear it."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"max_participants": 20}, {"default_instructions": None}]}
    )

    name: EntityName = None
    type: EntityType = None
    default_instructions: Instructions | None = None
    max_participants: MaxParticipants = None
    recording_retention_days: RetentionDays = None
    waiting_room: StrictBool = None


class EntityDeletionOut(ResponseModel):
    """The deactivated organization and what the deletion did to the rows that hang from it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "entity": {
                        "id": 3,
                        **ENTITY_EXAMPLE,
                        "active": False,
                        "created_at": "2026-11-26T04:00:00Z",
                        "updated_at": "2026-11-26T05:00:00Z",
                    },
                    "departments_deactivated": 2,
                    "professional_links_deactivated": 3,
                    "users_deactivated": 1,
                    "knowledge_chunks_deleted": 120,
                    "knowledge_documents_deleted": 4,
                    "rooms_canceled": 5,
                }
            ]
        }
    )

    entity: EntityOut
    departments_deactivated: int
    professional_links_deactivated: int
    users_deactivated: int
    knowledge_chunks_deleted: int
    knowledge_documents_deleted: int
    rooms_canceled: int
