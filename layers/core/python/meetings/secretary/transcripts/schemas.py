import enum

from pydantic import BaseModel

from meetings.secretary.participants.models import ParticipantType


class TranscriptFormat(enum.StrEnum):
    JSON = "json"
    VTT = "vtt"
    TXT = "txt"


MEDIA_TYPES = {
    TranscriptFormat.JSON: "application/json",
    TranscriptFormat.VTT: "text/vtt; charset=utf-8",
    TranscriptFormat.TXT: "text/plain; charset=utf-8",
}


class SpeakerOut(BaseModel):
    id: int | None
    display_name: str
    type: ParticipantType


class SegmentOut(BaseModel):
    id: int
    participant: SpeakerOut
    start_seconds: float
    end_seconds: float
    text: str
    language: str | None
    confidence: float | None


class TranscriptOut(BaseModel):
    room_id: str
    segments: list[SegmentOut]
