"""The HTTP API: `/v1/...` prefixes routed to the manager, secretary, knowledge-search and webhook
functions; access logs; stage throttling, tighter on the public join routes; CORS from the context."""

import jsii
from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.logging import encrypted_log_group

ANY = apigw.HttpMethod.ANY
GET = apigw.HttpMethod.GET
POST = apigw.HttpMethod.POST


def _collection(prefix: str) -> list[tuple[apigw.HttpMethod, str]]:
    """A resource collection and everything below it."""
    return [(ANY, prefix), (ANY, f"{prefix}/{{proxy+}}")]


MANAGER_ROUTES = [
    (ANY, "/v1/auth/{proxy+}"),
    *_collection("/v1/users"),
    *_collection("/v1/entities"),
    *_collection("/v1/departments"),
    *_collection("/v1/professionals"),
    *_collection("/v1/usage"),
]
KB_SEARCH_ROUTES = [(POST, "/v1/entities/{entity_id}/knowledge-base/search")]
# Public (magic-link) routes: no bearer token, so they get the tight throttle.
JOIN_ROUTES = [(ANY, "/v1/join/{proxy+}"), (GET, "/join/{token}"), (GET, "/join-assets/{proxy+}")]
SECRETARY_ROUTES = [
    *_collection("/v1/rooms"),
    *_collection("/v1/participants"),
    *_collection("/v1/recordings"),
    *JOIN_ROUTES,
]
WEBHOOK_ROUTES = [(POST, "/v1/webhooks/livekit")]

ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime",'
    '"method":"$context.httpMethod","routeKey":"$context.routeKey","status":"$context.status",'
    '"protocol":"$context.protocol","responseLength":"$context.responseLength",'
    '"latency":"$context.responseLatency","integrationLatency":"$context.integrationLatency",'
    '"integrationError":"$context.integrationErrorMessage","userAgent":"$context.identity.userAgent"}'
)


@jsii.implements(apigw.IAccessLogSettings)
class AccessLogSettings:
    """Access-log destination and format of a stage (a jsii interface, hence a class)."""

    def __init__(self, destination: apigw.IAccessLogDestination, format: apigateway.AccessLogFormat) -> None:
        self._destination = destination
        self._format = format

    @property
    def destination(self) -> apigw.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigateway.AccessLogFormat:
        return self._format


def route_key(method: apigw.HttpMethod, path: str) -> str:
    return f"{method.value} {path}"


class HttpApi(Construct):
    def __init__(self, scope: Construct, id: str, *, config: StageConfig, key: kms.IKey) -> None:
        super().__init__(scope, id)
        cors = None
        if config.cors_allow_origins:
            cors = apigw.CorsPreflightOptions(
                allow_origins=list(config.cors_allow_origins),
                allow_methods=[apigw.CorsHttpMethod.ANY],
                allow_headers=["authorization", "content-type"],
                max_age=Duration.hours(1),
            )
        self.api = apigw.HttpApi(
            self,
            "Api",
            api_name=f"meetings-{config.stage}",
            description="Meetings platform API",
            cors_preflight=cors,
            create_default_stage=False,
        )
        self.access_logs = encrypted_log_group(
            self, "AccessLogs", key=key, retention_days=config.log_retention_days
        )
        self.stage = apigw.HttpStage(
            self,
            "DefaultStage",
            http_api=self.api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(
                rate_limit=config.api_rate_limit, burst_limit=config.api_burst_limit
            ),
            access_log_settings=AccessLogSettings(
                apigw.LogGroupLogDestination(self.access_logs),
                apigateway.AccessLogFormat.custom(ACCESS_LOG_FORMAT),
            ),
        )
        self.config = config
        self._routes: list[apigw.HttpRoute] = []

    @property
    def url(self) -> str:
        return self.api.api_endpoint

    def route(
        self, name: str, function: lambda_.IFunction, routes: list[tuple[apigw.HttpMethod, str]]
    ) -> None:
        integration = integrations.HttpLambdaIntegration(f"{name}Integration", function)
        for method, path in routes:
            self._routes.extend(self.api.add_routes(path=path, methods=[method], integration=integration))

    def throttle_join_routes(self) -> None:
        """Route-level limits for the public join routes (the stage limits cover everything else)."""
        cfn_stage: apigw.CfnStage = self.stage.node.default_child
        cfn_stage.route_settings = {
            route_key(method, path): {
                "ThrottlingRateLimit": self.config.join_rate_limit,
                "ThrottlingBurstLimit": self.config.join_burst_limit,
            }
            for method, path in JOIN_ROUTES
        }
        for route in self._routes:
            self.stage.node.add_dependency(route)
