"""CloudWatch log groups: KMS-encrypted, with a retention from the stage settings."""

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

RETENTION = {
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    731: logs.RetentionDays.TWO_YEARS,
}


def encrypted_log_group(
    scope: Construct, id: str, *, key: kms.IKey, retention_days: int, name: str | None = None
) -> logs.LogGroup:
    if retention_days not in RETENTION:
        raise ValueError(f"log retention must be one of {sorted(RETENTION)} days, not {retention_days}")
    return logs.LogGroup(
        scope,
        id,
        log_group_name=name,
        encryption_key=key,
        retention=RETENTION[retention_days],
        removal_policy=RemovalPolicy.DESTROY,
    )
