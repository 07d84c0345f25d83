"""Agent usage report: one row per day, department or room (paginated), plus the period's totals."""

import enum
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class UsageGroup(enum.StrEnum):
    DAY = "day"
    DEPARTMENT = "department"
    ROOM = "room"


class UsageFigures(BaseModel):
    sessions: int = Field(description="Agent sessions that started in the period")
    active_sessions: int = Field(
        description="Of those, sessions still running (counted with their duration so far)"
    )
    duration_seconds: int
    tokens_in: int
    tokens_out: int
    audio_minutes: float
    interactions: int
    cost_estimate: float


class UsageRow(UsageFigures):
    key: str | None = Field(
        description="The day (YYYY-MM-DD, UTC), department id or room id; null: no department"
    )
    label: str | None = Field(description="Department name or room title")


ROW_EXAMPLE = {
    "sessions": 3,
    "active_sessions": 0,
    "duration_seconds": 5400,
    "tokens_in": 45000,
    "tokens_out": 25500,
    "audio_minutes": 90.0,
    "interactions": 120,
    "cost_estimate": 7.05,
}


class UsageReport(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "entity_id": 3,
                    "from": "2026-11-01T00:00:00Z",
                    "to": "2026-12-01T00:00:00Z",
                    "group_by": "day",
                    "items": [{"key": "2026-11-20", "label": None, **ROW_EXAMPLE}],
                    "total": 1,
                    "limit": 50,
                    "offset": 0,
                    "totals": ROW_EXAMPLE,
                }
            ]
        },
    )

    entity_id: int | None = Field(description="null: every entity (managers only)")
    from_: datetime = Field(alias="from")
    to: datetime
    group_by: UsageGroup
    items: list[UsageRow] = Field(description="One page of the groups, paginated like every list")
    total: int = Field(description="Groups in the period (every page)")
    limit: int
    offset: int
    totals: UsageFigures = Field(description="The whole period, whatever the page")
