"""cdk-nag acknowledgements: every finding the platform accepts, each with the reason it is accepted.

The AwsSolutions and HIPAA Security packs run on every synth (infra/app.py); anything not listed here
fails the infra tests.
"""

from aws_cdk import CfnResource, Stack
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import IConstruct

from infra.constructs.function import ENI_RESOURCE_TYPES
from infra.constructs.storage import KB_PREFIX, RECORDINGS_PREFIX

# The ENI writes are scoped to this account's and region's interfaces, subnets and security groups.
ENI_RESOURCES = [
    f"Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:{resource_type}/*"
    for resource_type in ENI_RESOURCE_TYPES
]

API_AUTHORIZATION = (
    "Authentication is in the application, per route: backoffice routes verify a signed JWT bearer token "
    "and re-read the user from the database on every request; the public join routes check the magic-link "
    "token and its password with lockout; the LiveKit webhook verifies LiveKit's signed JWT and the body's "
    "SHA-256. An API Gateway authorizer would duplicate the token check without the tenant rules."
)
VPC_ENI = (
    "Lambda functions in a VPC must create and delete their network interfaces: DescribeNetworkInterfaces "
    "has no resource-level permission, and the writes name any interface, subnet or security group of this "
    "account and region, since Lambda picks them when it places the function."
)
OLDER_RUNTIME = (
    "The runtimes are pinned on purpose: python3.11 is the project's Python version (pyproject.toml), and "
    "the jobs' dependencies layer is built for CPython 3.11 wheels; the API functions run python3.12, the "
    "runtime their SnapStart was decided and checked on (decision 0020), with a layer built for it. Both are "
    "supported by Lambda. Moving to a newer runtime is a deliberate upgrade of the whole code base, not a drift."
)
SYNC_NO_DLQ = (
    "Invoked synchronously (API Gateway, or the deploy-time Trigger): the caller receives the error; "
    "Lambda dead-letter queues only apply to asynchronous invocations."
)
QUEUE_NO_DLQ = (
    "Invoked by its SQS event source mapping, not asynchronously: a failed message returns to the webhook "
    "queue, whose redrive policy moves it to a dead-letter queue after five receives (with an alarm)."
)
CDK_HANDLER = (
    "CDK's own deploy-time handler (custom resource provider), invoked synchronously by CloudFormation only "
    "while a deployment runs; it holds no data, reaches only AWS APIs, and its code is CDK's, not ours."
)


def _acknowledge(
    scope: IConstruct, rules: dict[str, str], applies_to: dict[str, list[str]] | None = None
) -> None:
    applies_to = applies_to or {}
    NagSuppressions.add_resource_suppressions(
        scope,
        [
            NagPackSuppression(id=rule, reason=reason, applies_to=applies_to.get(rule))
            for rule, reason in rules.items()
        ],
        apply_to_children=True,
    )


def _arn_ref(stack: Stack, bucket) -> str:
    return f"<{stack.get_logical_id(bucket.node.default_child)}.Arn>"


def acknowledge_findings(stack) -> None:
    """Applies the reviewed acknowledgements to a PlatformStack."""
    _api(stack)
    _functions(stack)
    _queues(stack)
    _database(stack)
    _egress(stack)
    _storage(stack)
    _network(stack)
    _agent(stack)
    _cdk_internals(stack)
    checkov_skips(stack)


def _api(stack) -> None:
    _acknowledge(stack.http_api.api, {"AwsSolutions-APIG4": API_AUTHORIZATION})


def _functions(stack) -> None:
    recordings = f"Resource::{_arn_ref(stack, stack.storage.recordings_bucket)}/{RECORDINGS_PREFIX}*"
    documents = f"Resource::{_arn_ref(stack, stack.storage.kb_bucket)}/{KB_PREFIX}*"
    object_prefixes = (
        "Object-level S3 actions are scoped to one bucket and one key prefix (recordings/ or kb/): object keys "
        "are generated per recording or document, so the prefix wildcard is the narrowest expressible scope."
    )
    for name, platform_function in stack.functions.items():
        rules = {"AwsSolutions-IAM5": f"{VPC_ENI} {object_prefixes}"}
        if name != "kb_ingest" and name != "kb_search":
            rules["AwsSolutions-L1"] = OLDER_RUNTIME
        if platform_function.dead_letter_queue is None:
            rules["HIPAA.Security-LambdaDLQ"] = QUEUE_NO_DLQ if name == "webhook_dispatcher" else SYNC_NO_DLQ
        else:
            rules["AwsSolutions-SQS3"] = (
                "This queue is itself the dead-letter queue of the function's asynchronous invocations."
            )
        _acknowledge(
            platform_function,
            rules,
            applies_to={"AwsSolutions-IAM5": ["Resource::*", recordings, documents, *ENI_RESOURCES]},
        )


def _queues(stack) -> None:
    _acknowledge(
        stack.webhook_queue.dead_letter_queue,
        {"AwsSolutions-SQS3": "This queue is itself the dead-letter queue of the webhook dispatch queue."},
    )
    _acknowledge(
        stack.note_queue.dead_letter_queue,
        {
            "AwsSolutions-SQS3": "This queue is itself the dead-letter queue of the visit notes' drafting queue."
        },
    )


def _egress(stack) -> None:
    if stack.egress_role is None:
        return
    recordings = f"Resource::{_arn_ref(stack, stack.storage.recordings_bucket)}/{RECORDINGS_PREFIX}*"
    NagSuppressions.add_resource_suppressions(
        stack.node.find_child("EgressUploadPolicy"),
        [
            NagPackSuppression(
                id="AwsSolutions-IAM5",
                reason=(
                    "LiveKit egress may only s3:PutObject under recordings/ of the recordings bucket; the object "
                    "key is chosen per recording, so the prefix wildcard is the narrowest expressible scope."
                ),
                applies_to=[recordings],
            )
        ],
    )


def _database(stack) -> None:
    database = stack.database
    rules = {
        "AwsSolutions-RDS11": (
            "PostgreSQL keeps its default port: RDS Proxy listens on 5432 for PostgreSQL whatever the instance "
            "port, the instance sits in isolated subnets and its security group admits only the proxy, the "
            "migrate function and the rotation function; a non-standard port would add no protection."
        ),
        "HIPAA.Security-RDSInBackupPlan": (
            "Recovery is covered by RDS automated backups with point-in-time restore for the stage's retention "
            "(7 days dev, 30 days prod) and a final snapshot on removal; an AWS Backup plan would duplicate them."
        ),
        "AwsSolutions-IAM4": (
            "The enhanced-monitoring role uses AmazonRDSEnhancedMonitoringRole, the AWS-maintained policy that "
            "only lets the RDS monitoring agent write to the RDSOSMetrics log group."
        ),
        "CdkNagValidationFailure": (
            "Ingress rules CDK derives from the instance endpoint port, a deploy-time token (5432); sources "
            "are only the proxy and rotation security groups."
        ),
    }
    if not stack.config.db_multi_az:
        rules["AwsSolutions-RDS3"] = rules["HIPAA.Security-RDSMultiAZSupport"] = (
            "Single-AZ by choice in this non-production stage (cost); production enables Multi-AZ (cdk.json)."
        )
    if not stack.config.db_deletion_protection:
        rules["AwsSolutions-RDS10"] = rules["HIPAA.Security-RDSInstanceDeletionProtectionEnabled"] = (
            "Non-production stage is meant to be torn down; production enables deletion protection, and "
            "removal always leaves a final snapshot."
        )
    _acknowledge(database.instance, rules)
    _acknowledge(database.security_group, {"CdkNagValidationFailure": rules["CdkNagValidationFailure"]})
    _acknowledge(
        database.proxy,
        {
            "HIPAA.Security-IAMNoInlinePolicy": (
                "CDK-generated service role of RDS Proxy: its only policy reads the service roles' database secrets "
                "(and decrypts it with the data key); it is created and deleted with the proxy."
            )
        },
    )


def _storage(stack) -> None:
    no_replication = (
        "No cross-region replica: recordings and documents are purged on a retention schedule (30-365 days) "
        "and a replica would outlive the purge and double the copies of personal data; S3 stores objects "
        "across at least three AZs and versioning protects against deletion mistakes."
    )
    for bucket in (stack.storage.recordings_bucket, stack.storage.kb_bucket):
        _acknowledge(bucket, {"HIPAA.Security-S3BucketReplicationEnabled": no_replication})
    _acknowledge(
        stack.storage.log_bucket,
        {
            "HIPAA.Security-S3BucketReplicationEnabled": (
                "Operational logs (access logs, flow logs) with a fixed expiry; a cross-region copy adds cost "
                "and no recovery value."
            ),
            "HIPAA.Security-S3DefaultEncryptionKMS": (
                "S3 server access logging only delivers to buckets encrypted with SSE-S3; the logs hold no "
                "object contents."
            ),
            "AwsSolutions-S1": "This is the access-log bucket itself; logging it into itself would loop.",
            "HIPAA.Security-S3BucketLoggingEnabled": "This is the access-log bucket itself; logging it into itself would loop.",
        },
    )


def _network(stack) -> None:
    for subnet in stack.network.vpc.public_subnets:
        _acknowledge(
            subnet,
            {
                "HIPAA.Security-VPCNoUnrestrictedRouteToIGW": (
                    "Public subnets hold only the NAT gateways, which need the internet route; no workload runs "
                    "in them and none gets a public IP."
                )
            },
        )


def _agent(stack) -> None:
    _acknowledge(
        stack.agent,
        {
            "AwsSolutions-ECS2": (
                "The environment variables are non-secret configuration (stage, LiveKit URL, model names, the "
                "database role and the proxy host); every secret value is injected from Secrets Manager."
            ),
            "AwsSolutions-IAM5": (
                "ecr:GetAuthorizationToken has no resource-level permission; image pulls are scoped to the "
                "asset repository."
            ),
        },
        applies_to={"AwsSolutions-IAM5": ["Resource::*"]},
    )
    for secret in (stack.jwt_secret, stack.livekit_secret, stack.openai_secret):
        _acknowledge(
            secret,
            {
                "AwsSolutions-SMG4": _APP_SECRET_ROTATION,
                "HIPAA.Security-SecretsManagerRotationEnabled": _APP_SECRET_ROTATION,
            },
        )


_APP_SECRET_ROTATION = (
    "The LiveKit and OpenAI keys are issued by those providers and rotated in their consoles by the operator "
    "(then written here); rotating JWT_SECRET signs every user out, so it is an operator decision. The "
    "procedure is in the README. The database credentials rotate automatically every 30 days."
)


def _cdk_internals(stack) -> None:
    """The single Lambda CDK uses to configure S3 bucket notifications."""
    for child in stack.node.children:
        if child.node.id.startswith("BucketNotificationsHandler"):
            _acknowledge(
                child,
                {
                    "AwsSolutions-IAM4": (
                        "CDK's BucketNotificationsHandler (deploy-time only, configures S3 notifications) uses "
                        "AWSLambdaBasicExecutionRole to write its own logs."
                    ),
                    "HIPAA.Security-IAMNoInlinePolicy": (
                        "CDK's BucketNotificationsHandler role: its inline policy only allows "
                        "s3:PutBucketNotification, used at deploy time."
                    ),
                },
            )
    for bucket in (stack.storage.recordings_bucket, stack.storage.kb_bucket):
        _acknowledge(
            bucket,
            {
                "HIPAA.Security-IAMNoInlinePolicy": (
                    "CDK's BucketNotificationsHandler policy attached here only allows s3:PutBucketNotification "
                    "on this bucket at deploy time."
                )
            },
        )


def _checkov_skip(resource: CfnResource, checks: dict[str, str]) -> None:
    """Records checkov findings a reviewer accepted in the resource's template metadata, with the reason."""
    skips = (resource.get_metadata("checkov") or {}).get("skip", [])
    skips += [{"id": check, "comment": comment} for check, comment in checks.items()]
    resource.add_metadata("checkov", {"skip": skips})


def checkov_skips(stack) -> None:
    """The checkov findings the platform accepts (every other check must pass; tests/infra runs it)."""
    # By construct path: jsii proxies of one construct are not equal as Python objects.
    platform = {function.function.node.default_child.node.path for function in stack.functions.values()}
    for name, platform_function in stack.functions.items():
        if platform_function.dead_letter_queue is None:
            reason = QUEUE_NO_DLQ if name == "webhook_dispatcher" else SYNC_NO_DLQ
            _checkov_skip(platform_function.function.node.default_child, {"CKV_AWS_116": reason})
    for construct in stack.node.find_all():
        if (
            isinstance(construct, CfnResource)
            and construct.cfn_resource_type == "AWS::Lambda::Function"
            and construct.node.path not in platform
        ):
            _checkov_skip(
                construct,
                {
                    "CKV_AWS_115": CDK_HANDLER + " Runs once per deployment step: no concurrency to cap.",
                    "CKV_AWS_116": CDK_HANDLER + " CloudFormation receives its errors: no DLQ applies.",
                    "CKV_AWS_117": CDK_HANDLER
                    + " It never touches the database, so it stays out of the VPC.",
                },
            )
    if not stack.config.db_multi_az:
        _checkov_skip(
            stack.database.instance.node.default_child,
            {
                "CKV_AWS_157": "Single-AZ by choice in this non-production stage (cost); production is Multi-AZ."
            },
        )
    _checkov_skip(
        stack.storage.log_bucket.node.default_child,
        {"CKV_AWS_18": "This is the access-log bucket itself; logging it into itself would loop."},
    )
