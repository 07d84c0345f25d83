"""Webhook endpoints and their deliveries as the API reads and writes them."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from meetings.notifications.catalogue import EventType
from meetings.notifications.models import DESCRIPTION_MAX_LENGTH, URL_MAX_LENGTH
from meetings.validation import RequestModel, ResponseModel

WebhookUrl = Annotated[
    str, Field(min_length=1, max_length=URL_MAX_LENGTH, examples=["https://ehr.example.com/hooks"])
]
EventTypes = Annotated[list[EventType], Field(min_length=1, max_length=len(EventType))]
Description = Annotated[str, Field(max_length=DESCRIPTION_MAX_LENGTH)]

ENDPOINT_EXAMPLE = {
    "url": "https://ehr.example.com/hooks/meetings",
    "event_types": ["room.started", "room.ended", "recording.ready"],
    "description": "EHR scheduling sync",
}


class EndpointCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ENDPOINT_EXAMPLE]})

    url: WebhookUrl
    event_types: EventTypes
    description: Description | None = None
    enabled: bool = True


class EndpointUpdate(RequestModel):
    """Only the fields sent change. Enabling an endpoint the platform disabled clears its reason."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"enabled": True}]})

    url: WebhookUrl = None
    event_types: EventTypes = None
    description: Description | None = None
    enabled: bool = None


class EndpointOut(ResponseModel):
    id: int
    entity_id: int
    url: str
    description: str | None
    event_types: list[EventType]
    enabled: bool
    status: Literal["active", "disabled"] = Field(description="`disabled` by the entity or by the platform")
    disabled_reason: Literal["endpoint_gone", "retries_exhausted"] | None = Field(
        description="Why the platform disabled it: it answered 410 Gone, or failed for the whole retry window"
    )
    disabled_at: datetime | None
    previous_secret_expires_at: datetime | None = Field(
        description="Until then the secret before the last rotation signs too"
    )
    created_at: datetime
    updated_at: datetime


class EndpointWithSecret(EndpointOut):
    secret: str = Field(description="`whsec_...`: shown only in this answer; verify signatures with it")


class AttemptOut(ResponseModel):
    attempted_at: datetime
    succeeded: bool
    response_status: int | None
    duration_ms: int
    error: str | None = Field(
        description="`http_<status>`, `timeout`, `connection_refused`, `refused:<rule>`..."
    )


class DeliveryOut(ResponseModel):
    id: uuid.UUID
    endpoint_id: int
    webhook_id: str = Field(description="The `webhook-id` header, the same on every attempt and replay")
    event_type: EventType
    status: Literal["PENDING", "SUCCEEDED", "FAILED", "CANCELED"]
    attempts: int
    next_attempt_at: datetime | None
    replay_of: uuid.UUID | None
    created_at: datetime
    completed_at: datetime | None
    attempt_log: list[AttemptOut]


class WebhookPayload(ResponseModel):
    """The body of every webhook: the event's type, when it happened, and ids (read details through the API)."""

    type: EventType
    timestamp: datetime
    data: dict[str, Any] = Field(
        examples=[{"entity_id": 3, "room_id": "1f0c...", "started_at": "2026-12-01T10:00:00Z"}]
    )
