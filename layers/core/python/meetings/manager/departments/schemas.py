"""Departments as the API reads and writes them."""

from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field

from meetings.constraints import INSTRUCTIONS_MAX_LENGTH
from meetings.validation import RequestModel, ResponseModel

DepartmentName = Annotated[str, Field(min_length=1, max_length=100)]
Instructions = Annotated[str, Field(max_length=INSTRUCTIONS_MAX_LENGTH)]

DEPARTMENT_EXAMPLE = {"name": "Cardiology", "instructions": "Focus on cardiology follow-ups."}


class DepartmentOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 5,
                    "entity_id": 3,
                    **DEPARTMENT_EXAMPLE,
                    "active": True,
                    "created_at": "2026-11-26T04:00:00Z",
                    "updated_at": "2026-11-26T04:00:00Z",
                }
            ]
        }
    )

    id: int
    entity_id: int
    name: str
    instructions: str | None
    active: bool
    created_at: datetime
    updated_at: datetime


class DepartmentCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [DEPARTMENT_EXAMPLE]})

    name: DepartmentName
    instructions: Instructions | None = None


class DepartmentUpdate(RequestModel):
    """Only the fields sent change; `instructions` may be null to clear them."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Cardiology and Vascular"}]})

    name: DepartmentName = None
    instructions: Instructions | None = None
