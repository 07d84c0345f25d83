"""Buckets: recordings and knowledge-base documents (KMS, versioned, TLS only, access-logged), and the
log bucket that receives their access logs and the VPC flow logs."""

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.config import StageConfig
from meetings.constraints import RETENTION_DAYS_CHOICES as RETENTION_DAYS
from meetings.s3_layout import KB_PREFIX, RECORDINGS_PREFIX, RETENTION_TAG

__all__ = ["KB_PREFIX", "RECORDINGS_PREFIX", "RETENTION_DAYS", "RETENTION_TAG", "Storage"]
# The purge job deletes a recording when it is due; the lifecycle rule only catches what it missed.
PURGE_GRACE_DAYS = 2
NONCURRENT_VERSION_DAYS = 7


def _retention_rules() -> list[s3.LifecycleRule]:
    return [
        s3.LifecycleRule(
            id=f"expire-retention-{days}",
            prefix=RECORDINGS_PREFIX,
            tag_filters={RETENTION_TAG: str(days)},
            expiration=Duration.days(days + PURGE_GRACE_DAYS),
            noncurrent_version_expiration=Duration.days(NONCURRENT_VERSION_DAYS),
        )
        for days in RETENTION_DAYS
    ]


def _housekeeping_rule() -> s3.LifecycleRule:
    return s3.LifecycleRule(
        id="housekeeping",
        abort_incomplete_multipart_upload_after=Duration.days(1),
        expired_object_delete_marker=True,
    )


class Storage(Construct):
    def __init__(self, scope: Construct, id: str, *, config: StageConfig, key: kms.IKey) -> None:
        super().__init__(scope, id)
        # Buckets outlive the stack in every stage: deleting an environment never deletes its data.
        removal = RemovalPolicy.RETAIN
        # S3 server access logging cannot deliver to a KMS-encrypted bucket: this one uses SSE-S3.
        self.log_bucket = s3.Bucket(
            self,
            "LogBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=removal,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-logs",
                    expiration=Duration.days(config.log_retention_days),
                    noncurrent_version_expiration=Duration.days(1),
                )
            ],
        )
        common = dict(
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.log_bucket,
            removal_policy=removal,
        )
        self.recordings_bucket = s3.Bucket(
            self,
            "RecordingsBucket",
            server_access_logs_prefix="s3-access/recordings/",
            lifecycle_rules=[*_retention_rules(), _housekeeping_rule()],
            **common,
        )
        # Browsers upload large documents straight to S3 with a presigned POST from the backoffice origin.
        upload_cors = (
            [
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods.POST, s3.HttpMethods.PUT],
                    allowed_origins=list(config.cors_allow_origins),
                    allowed_headers=["*"],
                    max_age=3000,
                )
            ]
            if config.cors_allow_origins
            else None
        )
        self.kb_bucket = s3.Bucket(
            self,
            "KnowledgeBaseBucket",
            server_access_logs_prefix="s3-access/knowledge-base/",
            cors=upload_cors,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-replaced-documents",
                    noncurrent_version_expiration=Duration.days(30),
                ),
                _housekeeping_rule(),
            ],
            **common,
        )
