"""POST /v1/webhooks/livekit: LiveKit's signed event deliveries."""

from typing import Annotated

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, Field

from meetings.api.database import DbSession
from meetings.api.inline_routes import run_blocking
from meetings.db_scope import set_db_scope
from meetings.livekit import LiveKit, LiveKitGateway
from meetings.secretary.webhooks.service import handle_webhook, verify_webhook

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


class WebhookAnswer(BaseModel):
    status: str = Field(description="processed, duplicate (already seen) or ignored (nothing to do)")
    event_id: str

    model_config = {"json_schema_extra": {"examples": [{"status": "processed", "event_id": "EV_3QwYp2s8"}]}}


@router.post(
    "/livekit",
    response_model=WebhookAnswer,
    summary="Receive a LiveKit webhook event (signed by LiveKit)",
    responses={401: {"description": "`invalid_signature`: missing, or not LiveKit's signature of this body"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/webhook+json": {
                    "schema": {"type": "object", "description": "LiveKit's WebhookEvent, as protojson"}
                }
            },
        }
    },
)
async def receive_livekit_webhook(
    request: Request,
    db: DbSession,
    livekit: LiveKit,
    authorization: Annotated[str | None, Header()] = None,
) -> WebhookAnswer:
    body = (await request.body()).decode("utf-8", errors="replace")
    return await run_blocking(request, _process, db, livekit, body, authorization)


def _process(db, livekit: LiveKitGateway, body: str, authorization: str | None) -> WebhookAnswer:
    event = verify_webhook(body=body, authorization=authorization)
    set_db_scope(db, "webhook")
    outcome = handle_webhook(db=db, event=event, livekit=livekit)
    return WebhookAnswer(status=outcome, event_id=event.id)
