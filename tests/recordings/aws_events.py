"""Events and context as AWS hands them to a Lambda (shapes from the S3 and EventBridge documentation)."""

import itertools
import uuid
from urllib.parse import quote_plus


class LambdaContext:
    """What the Lambda runtime passes; the remaining time follows a script of values (the last repeats)."""

    function_name = "retention-purge"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:retention-purge"
    memory_limit_in_mb = 512
    aws_request_id = "6f7c1d2e-0000-4000-8000-000000000001"
    log_group_name = "/aws/lambda/retention-purge"
    log_stream_name = "2026/11/26/[$LATEST]abc"

    def __init__(self, *remaining_millis: int) -> None:
        self._remaining = itertools.chain(remaining_millis, itertools.repeat(remaining_millis[-1]))

    def get_remaining_time_in_millis(self) -> int:
        return next(self._remaining)


def s3_record(
    bucket: str,
    key: str,
    *,
    size: int | None,
    event_name: str = "ObjectCreated:Put",
    version_id: str | None = None,
) -> dict:
    """One record of an S3 event notification as documented by AWS (the key URL-encoded)."""
    obj = {
        "key": quote_plus(key, safe="/"),
        "eTag": "0123456789abcdef0123456789abcdef",
        "sequencer": "0A1B2C3D4E5F678901",
    }
    if size is not None:
        obj["size"] = size
    if version_id:
        obj["versionId"] = version_id
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-11-26T14:03:11.000Z",
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:AIDAJDPLRKLG7UEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "203.0.113.10"},
        "responseElements": {
            "x-amz-request-id": "C3D13FE58DE4C810",
            "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "recording-finalizer",
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": obj,
        },
    }


def scheduled_event() -> dict:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-11-26T03:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/retention-purge"],
        "detail": {},
    }
