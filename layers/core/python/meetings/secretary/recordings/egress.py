"""LiveKit Egress: a room-composite MP4 written straight into the recordings bucket.

The egress worker, not this process, writes the object, so it needs its own way into the bucket. The
operator configures one of (environment of the API and webhook Lambdas):
- EGRESS_S3_ASSUME_ROLE_ARN (+ EGRESS_S3_ASSUME_ROLE_EXTERNAL_ID): LiveKit Cloud assumes a role of ours
  allowed `s3:PutObject` on `recordings/*` of the bucket (no long-lived keys leave the account);
- EGRESS_S3_ACCESS_KEY + EGRESS_S3_SECRET: keys of an IAM user with only that permission;
- nothing: a self-hosted egress worker uses its own AWS credentials (e.g. its ECS task role).
EGRESS_S3_ENDPOINT overrides the S3 endpoint as the egress worker sees it (default: S3_ENDPOINT_URL,
unset on AWS); any custom endpoint is addressed path-style, as local S3 endpoints need.
"""

from dataclasses import dataclass

import aiohttp
from livekit import api
from livekit.protocol import egress as proto_egress

from meetings.errors import Conflict, UpstreamUnavailable
from meetings.livekit import open_livekit_api, run_to_completion
from meetings.log import logger
from meetings.settings import get_settings

REQUEST_TIMEOUT_SECONDS = 10
# The Conflict code of an egress (or room) LiveKit no longer has: nothing is being recorded.
EGRESS_GONE = "egress_unavailable"
RUNNING_STATES = frozenset({proto_egress.EGRESS_STARTING, proto_egress.EGRESS_ACTIVE})


@dataclass(frozen=True)
class EgressDestination:
    bucket: str
    key: str


def start_recording_egress(*, room_name: str, destination: EgressDestination) -> str:
    """Starts a room-composite MP4 egress of the LiveKit room into the bucket; returns the egress id."""
    request = proto_egress.RoomCompositeEgressRequest(
        room_name=room_name,
        file_outputs=[
            proto_egress.EncodedFileOutput(
                file_type=proto_egress.EncodedFileType.MP4,
                filepath=destination.key,
                disable_manifest=True,
                s3=_s3_upload(destination.bucket),
            )
        ],
    )
    info = _call(lambda lk: lk.egress.start_room_composite_egress(request), room_name=room_name)
    return info.egress_id


def stop_recording_egress(*, egress_id: str) -> None:
    """Asks LiveKit to stop an egress; it finishes the file and uploads it."""
    _call(
        lambda lk: lk.egress.stop_egress(proto_egress.StopEgressRequest(egress_id=egress_id)),
        egress_id=egress_id,
    )


def room_has_running_egress(*, room_name: str) -> bool:
    """Whether LiveKit is recording the room right now (an egress starting or active)."""
    answer = _call(
        lambda lk: lk.egress.list_egress(proto_egress.ListEgressRequest(room_name=room_name, active=True)),
        room_name=room_name,
    )
    return any(info.status in RUNNING_STATES for info in answer.items)


def _s3_upload(bucket: str) -> proto_egress.S3Upload:
    settings = get_settings()
    endpoint = settings.egress_s3_endpoint or settings.s3_endpoint_url or ""
    return proto_egress.S3Upload(
        bucket=bucket,
        region=settings.aws_region,
        endpoint=endpoint,
        force_path_style=bool(endpoint),
        access_key=settings.egress_s3_access_key or "",
        secret=settings.egress_s3_secret.get_secret_value() if settings.egress_s3_secret else "",
        assume_role_arn=settings.egress_s3_assume_role_arn or "",
        assume_role_external_id=settings.egress_s3_assume_role_external_id or "",
    )


def _call(operation, **context):
    """Runs one Egress API call to completion from synchronous code; maps LiveKit errors to domain errors."""

    async def run():
        settings = get_settings()
        async with open_livekit_api(
            settings.livekit_url,
            settings.livekit_api_key,
            settings.livekit_api_secret.get_secret_value(),
            timeout_seconds=REQUEST_TIMEOUT_SECONDS,
            # A refused egress is answered at once; a retry is the caller's decision.
            failover=False,
        ) as lk:
            return await operation(lk)

    try:
        return run_to_completion(run)
    except api.TwirpError as exc:
        logger.warning(
            "LiveKit egress call refused", extra={"code": exc.code, "status": exc.status, **context}
        )
        if exc.code in ("not_found", "failed_precondition"):
            raise Conflict(
                "LiveKit has no running egress or room for this recording.",
                code=EGRESS_GONE,
                details={"livekit_code": exc.code},
            ) from exc
        raise UpstreamUnavailable("LiveKit did not accept the request.", code="livekit_unavailable") from exc
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        logger.warning("LiveKit unreachable", extra={"error_type": type(exc).__name__, **context})
        raise UpstreamUnavailable("LiveKit is not reachable.", code="livekit_unavailable") from exc
