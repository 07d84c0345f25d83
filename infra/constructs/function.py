"""One platform Lambda: its own role (one customer-managed policy, nothing inline), its own encrypted log
group, inside the VPC, its environment encrypted with the platform key, a reserved concurrency, and for
functions invoked asynchronously an encrypted dead-letter queue. An API function with SnapStart
(decision 0020) runs python3.12, publishes a version on each deploy and is invoked through its `live`
alias, so that each cold start restores the version's snapshot."""

from dataclasses import dataclass, field

from aws_cdk import Annotations, Duration, RemovalPolicy, Size, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.logging import encrypted_log_group
from infra.constructs.network import APPLICATION_SUBNETS
from infra.constructs.permissions import use_key, write_logs

RUNTIME = lambda_.Runtime.PYTHON_3_11
SNAPSTART_RUNTIME = lambda_.Runtime.PYTHON_3_12
LIVE_ALIAS = "live"
ARCHITECTURE = lambda_.Architecture.X86_64

# Lambda creates and deletes the ENIs of VPC functions with the execution role. Describing has no
# resource-level scope; the writes are scoped to this account's and region's interfaces, subnets and
# security groups.
ENI_READ_ACTIONS = ["ec2:DescribeNetworkInterfaces"]
ENI_WRITE_ACTIONS = [
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
]
ENI_RESOURCE_TYPES = ("network-interface", "subnet", "security-group")


def _eni_statements(scope: Construct) -> list[iam.PolicyStatement]:
    stack = Stack.of(scope)
    resources = [
        stack.format_arn(service="ec2", resource=resource_type, resource_name="*")
        for resource_type in ENI_RESOURCE_TYPES
    ]
    return [
        iam.PolicyStatement(sid="DescribeVpcNetworkInterfaces", actions=ENI_READ_ACTIONS, resources=["*"]),
        iam.PolicyStatement(sid="ManageVpcNetworkInterfaces", actions=ENI_WRITE_ACTIONS, resources=resources),
    ]


@dataclass
class FunctionSettings:
    """What differs between the platform's functions."""

    name: str
    description: str
    memory_mib: int
    timeout: Duration
    environment: dict[str, str]
    statements: list[iam.PolicyStatement] = field(default_factory=list)
    asynchronous: bool = False
    reserved_concurrency: int | None = None
    ephemeral_storage_mib: int = 512  # SnapStart takes no more than 512
    snap_start: bool = False


class PlatformFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: FunctionSettings,
        code: lambda_.Code | lambda_.DockerImageCode,
        layers: list[lambda_.ILayerVersion] | None,
        vpc: ec2.IVpc,
        security_group: ec2.ISecurityGroup,
        key: kms.IKey,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, id)
        self.log_group = encrypted_log_group(self, "Logs", key=key, retention_days=log_retention_days)
        self.dead_letter_queue = None
        statements = [
            write_logs(self.log_group),
            *_eni_statements(self),
            # Lambda decrypts the environment variables, encrypted with the platform key, for this role.
            use_key(self, key, services=["lambda"]),
            *settings.statements,
        ]
        if settings.asynchronous:
            self.dead_letter_queue = sqs.Queue(
                self,
                "DeadLetterQueue",
                encryption=sqs.QueueEncryption.KMS,
                encryption_master_key=key,
                enforce_ssl=True,
                retention_period=Duration.days(14),
            )
            statements.append(
                iam.PolicyStatement(
                    sid="SendToDeadLetterQueue",
                    actions=["sqs:SendMessage"],
                    resources=[self.dead_letter_queue.queue_arn],
                )
            )
            # Lambda sends a failed event to the encrypted queue with this role, through SQS only.
            statements.append(use_key(self, key, services=["sqs"], encrypt=True, sid="EncryptDeadLetters"))
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=f"{settings.name}: least privilege for its own use case",
            statements=statements,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role of the {settings.name} function",
            managed_policies=[self.policy],
        )
        common = dict(
            description=settings.description,
            role=self.role,
            architecture=ARCHITECTURE,
            memory_size=settings.memory_mib,
            timeout=settings.timeout,
            ephemeral_storage_size=Size.mebibytes(settings.ephemeral_storage_mib),
            environment=settings.environment,
            environment_encryption=key,
            vpc=vpc,
            vpc_subnets=APPLICATION_SUBNETS,
            security_groups=[security_group],
            log_group=self.log_group,
            reserved_concurrent_executions=settings.reserved_concurrency,
        )
        if isinstance(code, lambda_.DockerImageCode):
            self.function = lambda_.DockerImageFunction(self, "Function", code=code, **common)
        else:
            self.function = lambda_.Function(
                self,
                "Function",
                code=code,
                handler="handler.handler",
                runtime=SNAPSTART_RUNTIME if settings.snap_start else RUNTIME,
                layers=layers,
                snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if settings.snap_start else None,
                # a deploy keeps the versions it replaces, so that the alias can be pointed back
                current_version_options=lambda_.VersionOptions(removal_policy=RemovalPolicy.RETAIN)
                if settings.snap_start
                else None,
                **common,
            )
        # What invokes the function: its `live` alias on the version this deploy published, with SnapStart.
        self.entry_point: lambda_.IFunction = self.function
        if settings.snap_start:
            self.entry_point = lambda_.Alias(
                self, "LiveAlias", alias_name=LIVE_ALIAS, version=self.function.current_version
            )
            Annotations.of(self.function).acknowledge_warning(
                "@aws-cdk/aws-lambda:snapStartRequirePublish", "each deploy publishes a version for the alias"
            )
        if self.dead_letter_queue is not None:
            # Set on the resource so the send permission lives in the managed policy, not an inline one.
            cfn_function: lambda_.CfnFunction = self.function.node.default_child
            cfn_function.dead_letter_config = lambda_.CfnFunction.DeadLetterConfigProperty(
                target_arn=self.dead_letter_queue.queue_arn
            )
            self.function.configure_async_invoke(retry_attempts=2, max_event_age=Duration.hours(6))
