"""The secretary and LiveKit-webhook Lambdas called with API Gateway HTTP API (v2) events."""

import base64
import importlib.util
import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from devserver.livekit_webhooks import webhook_event
from meetings.db_scope import set_db_scope
from meetings.secretary.rooms.models import Room, RoomStatus
from meetings.secretary.webhooks.models import WebhookReceipt
from tests.factories import make_room

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


class LambdaContext:
    function_name = "secretary"
    aws_request_id = "6f7c1d2e-0000-4000-8000-000000000004"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def load_handler(name: str):
    spec = importlib.util.spec_from_file_location(f"{name}_handler", FUNCTIONS / name / "handler.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


def http_event(method: str, path: str, *, body: str | None = None, headers: dict | None = None) -> dict:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "api.example.com", **{k.lower(): v for k, v in (headers or {}).items()}},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.example.com",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": "test",
            },
            "requestId": "req-1",
            "routeKey": "$default",
            "stage": "$default",
            "time": "26/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1795600000000,
        },
        "body": base64.b64encode(body.encode()).decode() if body is not None else None,
        "isBase64Encoded": body is not None,
    }


def answer_json(response: dict) -> dict:
    body = response["body"]
    return json.loads(base64.b64decode(body) if response.get("isBase64Encoded") else body)


def test_secretary_lambda_serves_the_api(engine):
    handler = load_handler("secretary_api")
    assert handler(http_event("GET", "/health"), LambdaContext())["statusCode"] == 200
    unauthenticated = handler(http_event("GET", "/v1/rooms"), LambdaContext())
    assert unauthenticated["statusCode"] == 401
    missing = handler(http_event("GET", f"/v1/join/{uuid.uuid4()}"), LambdaContext())
    assert missing["statusCode"] == 404 and answer_json(missing)["error"]["code"] == "link_not_found"


@pytest.fixture
def committed_room(engine, owner_engine):
    with set_db_scope(Session(engine), "manager") as session:
        room = make_room(session)
        session.commit()
        room_id, name = room.id, room.livekit_room_id
    yield room_id, name
    with Session(owner_engine) as session:
        session.execute(delete(WebhookReceipt).where(WebhookReceipt.room_name == name))
        session.execute(delete(Room).where(Room.id == room_id))
        session.commit()


def test_webhook_lambda_verifies_and_applies_events_once(committed_room, sign_webhook, engine):  # noqa: F811
    room_id, name = committed_room
    handler = load_handler("livekit_webhook")
    body, headers = sign_webhook(webhook_event("room_started", room_name=name))
    first = handler(http_event("POST", "/v1/webhooks/livekit", body=body, headers=headers), LambdaContext())
    assert first["statusCode"] == 200 and answer_json(first)["status"] == "processed"
    again = handler(http_event("POST", "/v1/webhooks/livekit", body=body, headers=headers), LambdaContext())
    assert answer_json(again)["status"] == "duplicate"
    forged = handler(
        http_event("POST", "/v1/webhooks/livekit", body=body, headers={"Authorization": "x"}), LambdaContext()
    )
    assert forged["statusCode"] == 401
    with set_db_scope(Session(engine), "manager") as session:
        assert session.get(Room, room_id).status == RoomStatus.ACTIVE
