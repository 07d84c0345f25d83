"""What the agent says into the LiveKit room, behind a small interface (a fake stands in for tests)."""

from dataclasses import dataclass
from typing import Protocol

from meetings.meeting_protocol import (
    ATTR_IS_ORGANIZER,
    ATTR_PARTICIPANT_ID,
    ATTR_PARTICIPANT_TYPE,
    participant_id_from_identity,
)
from meetings.secretary.participants.models import ParticipantType

# The attributes LiveKit's own room output puts on a transcription stream (livekit.agents.types).
ATTR_TRANSCRIPTION_FINAL = "lk.transcription_final"
ATTR_TRANSCRIBED_TRACK = "lk.transcribed_track_id"
ATTR_SEGMENT_ID = "lk.segment_id"


@dataclass(frozen=True)
class Human:
    """A platform participant in the room, as its token describes it; `sid` is LiveKit's id of this
    one join (a rejoin under the same identity gets a new one)."""

    identity: str
    participant_id: int
    type: ParticipantType
    name: str = ""
    is_organizer: bool = False
    sid: str = ""

    @property
    def is_professional(self) -> bool:
        return self.type == ParticipantType.PROFESSIONAL


def human_from_attributes(
    identity: str, name: str, attributes: dict[str, str], sid: str = ""
) -> Human | None:
    """The platform participant behind a LiveKit participant; None for agents, egress and strangers."""
    participant_id = participant_id_from_identity(identity)
    raw_id = attributes.get(ATTR_PARTICIPANT_ID)
    if raw_id is not None and raw_id.isdigit():
        participant_id = int(raw_id)
    try:
        kind = ParticipantType(attributes.get(ATTR_PARTICIPANT_TYPE, ""))
    except ValueError:
        return None
    if participant_id is None or kind == ParticipantType.AGENT:
        return None
    return Human(
        identity=identity,
        participant_id=participant_id,
        type=kind,
        name=name,
        is_organizer=attributes.get(ATTR_IS_ORGANIZER, "").lower() == "true",
        sid=sid,
    )


def caption_attributes(*, track_sid: str, segment_id: str, final: bool) -> dict[str, str]:
    """A caption's stream attributes, as LiveKit's room output sets them for a user's transcript."""
    attributes = {ATTR_TRANSCRIPTION_FINAL: "true" if final else "false", ATTR_SEGMENT_ID: segment_id}
    if track_sid:
        attributes[ATTR_TRANSCRIBED_TRACK] = track_sid
    return attributes


class RoomGateway(Protocol):
    async def send_text(
        self,
        text: str,
        *,
        topic: str,
        destination_identities: list[str] | None = None,
        attributes: dict[str, str] | None = None,
        sender_identity: str | None = None,
    ) -> None: ...


class LiveKitRoomGateway:
    """Text streams from the agent's local participant; a caption is sent on behalf of its speaker."""

    def __init__(self, room):
        self.room = room

    async def send_text(
        self,
        text: str,
        *,
        topic: str,
        destination_identities: list[str] | None = None,
        attributes: dict[str, str] | None = None,
        sender_identity: str | None = None,
    ) -> None:
        local = self.room.local_participant
        if sender_identity is None:
            await local.send_text(
                text, topic=topic, destination_identities=destination_identities, attributes=attributes
            )
            return
        # send_text always names the agent as sender; a stream can name the speaker, as room output does
        writer = await local.stream_text(
            topic=topic,
            attributes=attributes,
            destination_identities=destination_identities,
            sender_identity=sender_identity,
        )
        await writer.write(text)
        await writer.aclose()
