"""Bodies of the public join endpoints (/v1/join/{token}), which the join page uses."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool

from meetings.secretary.participants.models import ParticipantType
from meetings.secretary.rooms.models import RoomStatus
from meetings.validation import RequestModel


class JoinRoomInfo(BaseModel):
    id: str
    title: str
    description: str | None
    scheduled_at: datetime
    status: RoomStatus
    join_opens_at: datetime = Field(description="Joining is refused (too_early) before this time")


class JoinParticipantInfo(BaseModel):
    name: str
    type: ParticipantType
    is_organizer: bool


class JoinConsentText(BaseModel):
    """The entity's consent text in force, for the page to show before the password."""

    id: int
    version: int
    language: str
    recording_text: str
    assistant_text: str


class JoinLinkInfo(BaseModel):
    room: JoinRoomInfo
    participant: JoinParticipantInfo
    link_expires_at: datetime
    attempts_left: int
    locked_until: datetime | None
    consent_text: JoinConsentText | None = None

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "room": {
                        "id": "5b0e6c1e-3f1a-4c52-9a57-1f0c9e1a2b3c",
                        "title": "Follow-up consultation",
                        "description": None,
                        "scheduled_at": "2030-01-31T14:00:00Z",
                        "status": "SCHEDULED",
                        "join_opens_at": "2030-01-31T13:45:00Z",
                    },
                    "participant": {"name": "Maria Silva", "type": "CLIENT", "is_organizer": False},
                    "link_expires_at": "2030-01-30T10:00:00Z",
                    "attempts_left": 5,
                    "locked_until": None,
                }
            ]
        }
    }


class JoinConsent(RequestModel):
    recording: StrictBool = False
    assistant: StrictBool = False


class JoinRequest(RequestModel):
    password: Annotated[
        str, Field(pattern=r"^[0-9]{8}$", description="The 8-digit password sent with the link")
    ]
    consent: JoinConsent | None = Field(
        default=None, description="Absent: no consent to either recording or the AI assistant"
    )
    language: Literal["en", "pt"] = Field(
        default="en", description="The language the consent text was shown in"
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"password": "12345678", "consent": {"recording": True, "assistant": False}, "language": "pt"}
            ]
        }
    }


class JoinWaiting(BaseModel):
    """202: the password was right and the organizer has not decided yet; repeat the same request."""

    status: Literal["waiting"] = "waiting"
    waiting_since: datetime
    poll_after_seconds: int = Field(description="Repeat the join request after this many seconds")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"status": "waiting", "waiting_since": "2030-01-31T13:58:00Z", "poll_after_seconds": 2}
            ]
        }
    }


class JoinGrant(BaseModel):
    livekit_url: str
    access_token: str = Field(description="LiveKit access token for this room; short-lived", repr=False)
    identity: str
    room_name: str
    participant_name: str
    is_organizer: bool
    expires_in: int = Field(description="Seconds until access_token expires")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "livekit_url": "wss://meet.example.com",
                    "access_token": "eyJhbGciOiJIUzI1NiIs...",
                    "identity": "participant-12",
                    "room_name": "meeting-5b0e...",
                    "participant_name": "Maria Silva",
                    "is_organizer": False,
                    "expires_in": 600,
                }
            ]
        }
    }


class WaitingParticipant(BaseModel):
    participant_id: int
    name: str
    type: ParticipantType
    waiting_since: datetime


class WaitingList(BaseModel):
    data: list[WaitingParticipant]


class AdmissionOut(BaseModel):
    participant_id: int
    admission: Literal["ADMITTED", "DENIED"]
    decided_at: datetime


class ConsentOut(BaseModel):
    participant_id: int
    recording: bool
    assistant: bool
    decided_at: datetime
