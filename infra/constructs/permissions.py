"""IAM statements scoped to one bucket prefix, one secret, one key, one log group: the only shapes the roles use."""

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct


def read_secrets(*secrets: secretsmanager.ISecret) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid="ReadSecrets",
        actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        resources=[secret.secret_arn for secret in secrets],
    )


def use_key(
    scope: Construct,
    key: kms.IKey,
    *,
    services: list[str],
    encrypt: bool = False,
    decrypt: bool = True,
    sid: str | None = None,
) -> iam.PolicyStatement:
    """The data key, only when a named AWS service (Secrets Manager, S3, SQS) calls it on the role's
    behalf: to decrypt, and to encrypt (`encrypt`), or to encrypt only (`decrypt=False`)."""
    region = Stack.of(scope).region
    actions = (["kms:Decrypt"] if decrypt else []) + (["kms:GenerateDataKey"] if encrypt else [])
    return iam.PolicyStatement(
        sid=sid or "UseDataKeyVia" + "".join(service.capitalize() for service in services),
        actions=actions,
        resources=[key.key_arn],
        conditions={
            "StringEquals": {"kms:ViaService": [f"{service}.{region}.amazonaws.com" for service in services]}
        },
    )


def objects(sid: str, bucket: s3.IBucket, prefix: str, actions: list[str]) -> iam.PolicyStatement:
    return iam.PolicyStatement(sid=sid, actions=actions, resources=[bucket.arn_for_objects(f"{prefix}*")])


def bucket_level(
    sid: str, bucket: s3.IBucket, actions: list[str], *, prefix: str | None = None
) -> iam.PolicyStatement:
    conditions = {"StringLike": {"s3:prefix": [f"{prefix}*"]}} if prefix else None
    return iam.PolicyStatement(sid=sid, actions=actions, resources=[bucket.bucket_arn], conditions=conditions)


def write_logs(log_group: logs.ILogGroup) -> iam.PolicyStatement:
    """Streams and events in the role's own log group, nowhere else."""
    return iam.PolicyStatement(
        sid="WriteOwnLogs",
        actions=["logs:CreateLogStream", "logs:PutLogEvents"],
        resources=[log_group.log_group_arn],
    )
