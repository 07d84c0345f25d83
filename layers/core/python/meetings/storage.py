"""S3 clients for the configured endpoint (AWS, or the local endpoint in development).

boto3 loads with the first client: API requests that never touch S3 skip its import cost.
"""

from functools import lru_cache

from meetings.settings import get_settings


@lru_cache
def s3_client():
    """The process-wide S3 client (SigV4, so presigned URLs work on every region)."""
    import boto3
    from botocore.config import Config

    settings = get_settings()
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.aws_region,
        config=Config(signature_version="s3v4", retries={"max_attempts": 3, "mode": "standard"}),
    )
