"""The event catalogue in OpenAPI: one `webhooks` entry per event type, with the payload and headers."""

from fastapi import FastAPI

HEADERS_NOTE = (
    "\n\nSigned as Standard Webhooks: `webhook-id` (the same on every attempt and replay), "
    "`webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature` (`v1,<base64 HMAC-SHA256>` "
    "of `id.timestamp.body`, one per signing secret, space-separated during a rotation). Answer 2xx within "
    "15 seconds; 410 disables the endpoint; anything else is retried with backoff for about three days."
)


def document_webhooks(app: FastAPI) -> None:
    """Adds every event type to the app's OpenAPI `webhooks` section when the document is first built,
    so that serving a request never imports the catalogue's payload models."""
    build_schema = app.openapi

    def openapi() -> dict:
        if not app.webhooks.routes:
            _add_webhooks(app)
        return build_schema()

    app.openapi = openapi


def _add_webhooks(app: FastAPI) -> None:
    from meetings.notifications.catalogue import DESCRIPTIONS, EventType
    from meetings.notifications.schemas import WebhookPayload

    for event in EventType:

        def receiver(body: WebhookPayload) -> None: ...

        app.webhooks.post(
            event.value,
            summary=event.value,
            description=DESCRIPTIONS[event] + HEADERS_NOTE,
            operation_id=f"webhook_{event.name.lower()}",
            tags=["webhooks"],
            status_code=204,
        )(receiver)
