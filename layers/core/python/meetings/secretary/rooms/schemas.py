"""Request and response bodies of /v1/rooms."""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StrictBool, field_validator
from pydantic_core import PydanticCustomError

from meetings.constraints import CUSTOM_PROMPT_MAX_LENGTH, MAX_PARTICIPANTS_RANGE
from meetings.secretary.rooms.models import RoomStatus
from meetings.validation import RequestModel, ResponseModel, RowId, within_time_range


def _aware_future(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise PydanticCustomError(
            "timezone_required", "Give the time with its UTC offset, e.g. 2030-01-31T14:00:00Z."
        )
    value = within_time_range(value)
    if value <= datetime.now(UTC):
        raise PydanticCustomError("scheduled_at_in_past", "The meeting must be scheduled in the future.")
    return value


FutureTime = Annotated[datetime, AfterValidator(_aware_future)]
Title = Annotated[str, Field(min_length=1, max_length=200)]
CustomPrompt = Annotated[str, Field(max_length=CUSTOM_PROMPT_MAX_LENGTH)]
Capacity = Annotated[int, Field(ge=MAX_PARTICIPANTS_RANGE[0], le=MAX_PARTICIPANTS_RANGE[1])]

ROOM_EXAMPLE = {
    "title": "Follow-up consultation",
    "description": "Review of the exam results",
    "entity_id": 1,
    "department_id": 2,
    "custom_prompt": "Focus on the exam results and next steps.",
    "scheduled_at": "2030-01-31T14:00:00Z",
    "max_participants": 4,
}


class RoomCreate(RequestModel):
    title: Title
    description: Annotated[str, Field(max_length=4000)] | None = None
    entity_id: RowId | None = Field(
        default=None, description="Defaults to the caller's entity; a MANAGER may leave it empty"
    )
    department_id: RowId | None = None
    custom_prompt: CustomPrompt | None = None
    scheduled_at: FutureTime
    max_participants: Capacity | None = Field(default=None, description="Defaults to the entity's limit")
    waiting_room: StrictBool | None = Field(
        default=None, description="Clients wait for the organizer to let them in; null follows the entity"
    )

    model_config = {"json_schema_extra": {"examples": [ROOM_EXAMPLE]}}


class RoomUpdate(RequestModel):
    title: Title | None = None
    description: Annotated[str, Field(max_length=4000)] | None = None
    department_id: RowId | None = None
    custom_prompt: CustomPrompt | None = None
    scheduled_at: FutureTime | None = None
    max_participants: Capacity | None = None
    waiting_room: StrictBool | None = Field(
        default=None, description="Clients wait for the organizer to let them in; null follows the entity"
    )

    model_config = {"json_schema_extra": {"examples": [{"title": "Second opinion", "max_participants": 3}]}}

    @field_validator("title", "scheduled_at", "max_participants")
    @classmethod
    def _not_null(cls, value):
        if value is None:
            raise PydanticCustomError("not_nullable", "This field cannot be empty.")
        return value


class RoomOut(ResponseModel):
    id: str
    livekit_room_id: str
    title: str
    description: str | None
    entity_id: int | None
    department_id: int | None
    custom_prompt: str | None
    organizer_id: int | None
    scheduled_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    status: RoomStatus
    max_participants: int
    waiting_room: bool | None = Field(description="The room's own setting; null follows the entity's default")
    created_at: datetime
    updated_at: datetime


class RoomDetail(RoomOut):
    composed_instructions: str = Field(
        description="What the meeting agent is told: entity default, department and room prompt, in that order"
    )
