import uuid
from datetime import datetime

from pydantic import ConfigDict, Field

from meetings.secretary.recordings.models import RecordingStatus
from meetings.validation import ResponseModel

RECORDING_EXAMPLE = {
    "id": "0b6f4a52-3c1e-4f6e-9d8a-2f0d1c9b7e41",
    "room_id": "5f0c7a0e-9a51-4b8e-8f0e-6f1c2d3e4a5b",
    "livekit_egress_id": "EG_Xk2pQ9sT3vWz",
    "s3_bucket": "meetings-recordings",
    "s3_key": "recordings/12/5f0c7a0e-9a51-4b8e-8f0e-6f1c2d3e4a5b/0b6f4a52-3c1e-4f6e-9d8a-2f0d1c9b7e41.mp4",
    "file_size_bytes": 48213394,
    "duration_seconds": 1834,
    "retention_days": 90,
    "purge_at": "2027-02-24T14:03:11Z",
    "format": "mp4",
    "status": "READY",
    "attempt": 1,
    "created_at": "2026-11-26T14:03:11Z",
    "deleted_at": None,
}


class RecordingResponse(ResponseModel):
    """A recording as stored: PROCESSING until its file lands in S3, READY, FAILED, or PURGED after retention."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [RECORDING_EXAMPLE]})

    id: uuid.UUID
    room_id: str
    livekit_egress_id: str
    s3_bucket: str
    s3_key: str
    file_size_bytes: int | None
    duration_seconds: int | None
    retention_days: int = Field(
        description="Days the file is kept (the entity's policy; 30 for independent rooms)"
    )
    purge_at: datetime = Field(description="When the retention purge deletes the file")
    format: str
    status: RecordingStatus
    attempt: int = Field(
        description="1 for the first egress, 2-4 for automatic retries after a failed egress"
    )
    created_at: datetime
    deleted_at: datetime | None = Field(
        description="When the purge deleted the file; the row is kept for audit"
    )


class RecordingDetailResponse(RecordingResponse):
    """A recording with a short-lived download link while it is READY."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    **RECORDING_EXAMPLE,
                    "download_url": "https://meetings-recordings.s3.amazonaws.com/recordings/12/...mp4?X-Amz-Signature=...",
                    "download_url_expires_at": "2026-11-26T15:08:00Z",
                }
            ]
        },
    )

    download_url: str | None = Field(description="Presigned GET URL, only while the recording is READY")
    download_url_expires_at: datetime | None
