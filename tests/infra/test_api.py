"""HTTP API: every route reaches the right function; access logs, throttling and CORS."""

import json

import pytest

from infra.constructs.api import JOIN_ROUTES, route_key
from infra.sources import SNAPSTART_FUNCTIONS

EXPECTED_ROUTES = {
    "ANY /v1/auth/{proxy+}": "manager_api",
    "ANY /v1/users": "manager_api",
    "ANY /v1/users/{proxy+}": "manager_api",
    "ANY /v1/entities": "manager_api",
    "ANY /v1/entities/{proxy+}": "manager_api",
    "ANY /v1/departments": "manager_api",
    "ANY /v1/departments/{proxy+}": "manager_api",
    "ANY /v1/professionals": "manager_api",
    "ANY /v1/professionals/{proxy+}": "manager_api",
    "ANY /v1/usage": "manager_api",
    "ANY /v1/usage/{proxy+}": "manager_api",
    "POST /v1/entities/{entity_id}/knowledge-base/search": "kb_search",
    "ANY /v1/rooms": "secretary_api",
    "ANY /v1/rooms/{proxy+}": "secretary_api",
    "ANY /v1/participants": "secretary_api",
    "ANY /v1/participants/{proxy+}": "secretary_api",
    "ANY /v1/recordings": "secretary_api",
    "ANY /v1/recordings/{proxy+}": "secretary_api",
    "ANY /v1/join/{proxy+}": "secretary_api",
    "GET /join/{token}": "secretary_api",
    "GET /join-assets/{proxy+}": "secretary_api",
    "POST /v1/webhooks/livekit": "livekit_webhook",
}


def _entry_point_ref(synth, platform_function) -> dict:
    """How the template names what API Gateway invokes: the `live` alias of a SnapStart function (its
    Ref is the alias ARN), the function itself otherwise."""
    if platform_function.entry_point is platform_function.function:
        return {"Fn::GetAtt": [synth.logical_id(platform_function.function), "Arn"]}
    return {"Ref": synth.logical_id(platform_function.entry_point)}


def _routes_to_functions(synth) -> dict[str, str]:
    entry_points = {
        json.dumps(_entry_point_ref(synth, fn)): name for name, fn in synth.stack.functions.items()
    }
    integrations = synth.of_type("AWS::ApiGatewayV2::Integration")
    answer = {}
    for route in synth.of_type("AWS::ApiGatewayV2::Route").values():
        target = route["Properties"]["Target"]["Fn::Join"][1][1]["Ref"]
        uri = integrations[target]["Properties"]["IntegrationUri"]
        answer[route["Properties"]["RouteKey"]] = entry_points[json.dumps(uri)]
    return answer


def test_every_route_reaches_its_function(synthesized):
    assert _routes_to_functions(synthesized) == EXPECTED_ROUTES


def test_the_snapstart_functions_are_reached_through_their_live_alias(dev):
    for name, platform_function in dev.stack.functions.items():
        via_alias = platform_function.entry_point is not platform_function.function
        assert via_alias == (name in SNAPSTART_FUNCTIONS), name
        if via_alias:
            alias = dev.resources[dev.logical_id(platform_function.entry_point)]["Properties"]
            assert alias["Name"] == "live"
            version = dev.resources[alias["FunctionVersion"]["Fn::GetAtt"][0]]
            assert version["Type"] == "AWS::Lambda::Version"
            assert version["DeletionPolicy"] == "Retain"  # a rollback points the alias back at it
            assert version["Properties"]["FunctionName"] == {
                "Ref": dev.logical_id(platform_function.function)
            }


def test_integrations_are_lambda_proxy_v2(dev):
    for integration in dev.of_type("AWS::ApiGatewayV2::Integration").values():
        assert integration["Properties"]["IntegrationType"] == "AWS_PROXY"
        assert integration["Properties"]["PayloadFormatVersion"] == "2.0"


def test_api_gateway_may_invoke_each_routed_function_only_from_this_api(dev):
    permissions = dev.of_type("AWS::Lambda::Permission")
    api_id = dev.logical_id(dev.stack.http_api.api)
    for name in ("manager_api", "secretary_api", "livekit_webhook", "kb_search"):
        entry_point = _entry_point_ref(dev, dev.stack.functions[name])
        sources = [
            p["Properties"]["SourceArn"]
            for p in permissions.values()
            if p["Properties"]["FunctionName"] == entry_point
            and p["Properties"]["Principal"] == "apigateway.amazonaws.com"
        ]
        assert sources, name
        assert all({"Ref": api_id} in source["Fn::Join"][1] for source in sources)


def test_stage_throttles_and_join_routes_are_tighter(synthesized):
    config = synthesized.stack.config
    (stage,) = synthesized.of_type("AWS::ApiGatewayV2::Stage").values()
    properties = stage["Properties"]
    assert properties["StageName"] == "$default" and properties["AutoDeploy"] is True
    assert properties["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": config.api_rate_limit,
        "ThrottlingBurstLimit": config.api_burst_limit,
    }
    assert set(properties["RouteSettings"]) == {route_key(method, path) for method, path in JOIN_ROUTES}
    for settings in properties["RouteSettings"].values():
        assert settings["ThrottlingRateLimit"] < config.api_rate_limit
        assert settings["ThrottlingBurstLimit"] < config.api_burst_limit
    # Route settings name routes: the stage waits for them.
    route_ids = set(synthesized.of_type("AWS::ApiGatewayV2::Route"))
    assert route_ids <= set(stage["DependsOn"])


def test_stage_writes_json_access_logs_to_an_encrypted_group(dev):
    (stage,) = dev.of_type("AWS::ApiGatewayV2::Stage").values()
    settings = stage["Properties"]["AccessLogSettings"]
    log_group_id = settings["DestinationArn"]["Fn::GetAtt"][0]
    assert '"routeKey":"$context.routeKey"' in settings["Format"]
    assert '"status":"$context.status"' in settings["Format"]
    log_group = dev.resources[log_group_id]["Properties"]
    assert log_group["RetentionInDays"] == dev.stack.config.log_retention_days
    assert "KmsKeyId" in log_group


@pytest.mark.parametrize(
    ("stage", "expected"),
    [("dev", {"AllowOrigins": ["http://localhost:3000"]}), ("prod", None)],
)
def test_cors_comes_from_the_context(request, stage, expected):
    synth = request.getfixturevalue(stage)
    (api,) = synth.of_type("AWS::ApiGatewayV2::Api").values()
    cors = api["Properties"].get("CorsConfiguration")
    if expected is None:
        assert cors is None
    else:
        assert cors["AllowOrigins"] == expected["AllowOrigins"]
        assert "authorization" in cors["AllowHeaders"]


def test_public_base_url_is_the_api_url(dev):
    api_id = dev.logical_id(dev.stack.http_api.api)
    environment = dev.resources[dev.logical_id(dev.stack.functions["secretary_api"].function)]["Properties"][
        "Environment"
    ]["Variables"]
    assert environment["PUBLIC_BASE_URL"] == {"Fn::GetAtt": [api_id, "ApiEndpoint"]}
