"""The manager Lambda entry point: API Gateway HTTP API (v2) events through Mangum, and a light cold import."""

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from meetings.api.database import get_session
from tests.factories import TEST_PASSWORD, make_user

HANDLER_FILE = Path(__file__).resolve().parents[2] / "functions" / "manager_api" / "handler.py"
HEAVY_MODULES = ["torch", "sentence_transformers", "livekit.agents", "transformers"]


def load_handler_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("manager_api_handler", HANDLER_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def http_api_event(
    method: str, path: str, *, body: dict | None = None, headers: dict | None = None, query: str = ""
) -> dict:
    """An API Gateway HTTP API payload format 2.0 event, as the Lambda receives it."""
    raw = json.dumps(body).encode() if body is not None else b""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "cookies": [],
        "headers": {
            "accept": "application/json",
            "content-type": "application/json",
            "host": "abc123.execute-api.us-east-1.amazonaws.com",
            "user-agent": "curl/8.5.0",
            "x-forwarded-for": "203.0.113.7",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
            **(headers or {}),
        },
        "queryStringParameters": dict(part.split("=", 1) for part in query.split("&")) if query else None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "curl/8.5.0",
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "$default",
            "stage": "$default",
            "time": "26/Nov/2026:04:00:00 +0000",
            "timeEpoch": 1795665600000,
        },
        "body": base64.b64encode(raw).decode() if raw else None,
        "isBase64Encoded": bool(raw),
    }


class LambdaContext:
    function_name = "manager-api"
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:manager-api"
    memory_limit_in_mb = 512

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


@pytest.fixture
def handler(db):
    module = load_handler_module()
    app = module.handler.app
    app.dependency_overrides[get_session] = lambda: db
    yield module.handler
    app.dependency_overrides.clear()


def test_login_then_list_entities_through_the_lambda_handler(handler, db):
    user = make_user(db)

    login = handler(
        http_api_event("POST", "/v1/auth/login", body={"email": user.email, "password": TEST_PASSWORD}),
        LambdaContext(),
    )
    assert login["statusCode"] == 200, login
    token = json.loads(login["body"])["access_token"]

    listed = handler(
        http_api_event(
            "GET", "/v1/entities", headers={"authorization": f"Bearer {token}"}, query="limit=5&active=true"
        ),
        LambdaContext(),
    )
    assert listed["statusCode"] == 200, listed
    assert json.loads(listed["body"])["limit"] == 5


def test_errors_keep_their_json_shape_through_the_handler(handler):
    response = handler(http_api_event("GET", "/v1/users"), LambdaContext())
    assert response["statusCode"] == 401
    assert json.loads(response["body"])["error"]["code"] == "not_authenticated"


def test_cold_import_pulls_no_ml_or_agent_runtime():
    script = (
        "import importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('handler', {str(HANDLER_FILE)!r})\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "print(json.dumps({'callable': callable(module.handler), "
        f"'heavy': [name for name in {HEAVY_MODULES!r} if name in sys.modules]}}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"callable": True, "heavy": []}
