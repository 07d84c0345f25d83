"""Webhook requests signed exactly as the LiveKit server signs them (tests, benchmarks, `make run`).

The server sends the protojson of a `WebhookEvent` as the body, and an `Authorization` header holding a
JWT (no "Bearer" prefix) signed with the API key and secret, whose `sha256` claim is the base64 SHA-256
of the raw body (`livekit.api.WebhookReceiver` checks both).

    event = webhook_event("participant_joined", room_name="meeting-...", identity="participant-7")
    body, headers = signed_webhook(event, api_key=key, api_secret=secret)
    client.post("/v1/webhooks/livekit", content=body, headers=headers)

From the command line, against `make run` (development key and secret):

    python -m devserver.livekit_webhooks participant_joined --room meeting-<uuid> --identity participant-3
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import time
import uuid

from google.protobuf.json_format import MessageToJson
from livekit.api import AccessToken
from livekit.protocol import egress as proto_egress
from livekit.protocol import models as proto_models
from livekit.protocol.webhook import WebhookEvent

WEBHOOK_CONTENT_TYPE = "application/webhook+json"


def webhook_event(
    event: str,
    *,
    room_name: str,
    identity: str | None = None,
    participant_name: str = "",
    agent: bool = False,
    event_id: str | None = None,
    created_at: int | None = None,
    egress_info: proto_egress.EgressInfo | None = None,
) -> WebhookEvent:
    """Builds a WebhookEvent like the server's: a unique id "EV_...", created_at in unix seconds."""
    message = WebhookEvent(
        event=event,
        id=event_id or f"EV_{uuid.uuid4().hex[:12]}",
        created_at=created_at if created_at is not None else int(time.time()),
        room=proto_models.Room(sid="RM_standin", name=room_name),
    )
    if identity is not None:
        message.participant.CopyFrom(
            proto_models.ParticipantInfo(
                sid=f"PA_{identity}",
                identity=identity,
                name=participant_name,
                kind=proto_models.ParticipantInfo.AGENT if agent else proto_models.ParticipantInfo.STANDARD,
            )
        )
    if egress_info is not None:
        message.egress_info.CopyFrom(egress_info)
    return message


def sign_body(body: str, *, api_key: str, api_secret: str) -> str:
    """The Authorization header value the server sends with `body`."""
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    token = AccessToken(api_key, api_secret).with_sha256(digest).with_ttl(datetime.timedelta(minutes=5))
    return token.to_jwt()


def signed_webhook(event: WebhookEvent, *, api_key: str, api_secret: str) -> tuple[str, dict[str, str]]:
    """The (body, headers) of a webhook delivery for `event`."""
    body = MessageToJson(event, indent=None)
    headers = {
        "Authorization": sign_body(body, api_key=api_key, api_secret=api_secret),
        "Content-Type": WEBHOOK_CONTENT_TYPE,
    }
    return body, headers


def main() -> None:
    """Delivers one signed webhook event to a running server and prints its answer."""
    import argparse
    import urllib.error
    import urllib.request

    from meetings.settings import get_settings

    settings = get_settings()
    parser = argparse.ArgumentParser(description="Deliver a signed LiveKit webhook event.")
    parser.add_argument(
        "event", help="room_started, room_finished, participant_joined, participant_left, ..."
    )
    parser.add_argument("--room", required=True, help="the LiveKit room name (rooms.livekit_room_id)")
    parser.add_argument("--identity", help="participant identity, e.g. participant-3")
    parser.add_argument("--url", default=f"{settings.public_base_url}/v1/webhooks/livekit")
    args = parser.parse_args()
    body, headers = signed_webhook(
        webhook_event(args.event, room_name=args.room, identity=args.identity),
        api_key=settings.livekit_api_key,
        api_secret=settings.livekit_api_secret.get_secret_value(),
    )
    request = urllib.request.Request(args.url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            print(answer.status, answer.read().decode())
    except urllib.error.HTTPError as error:
        print(error.code, error.read().decode())


if __name__ == "__main__":
    main()
