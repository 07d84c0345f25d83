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


@dataclass(frozen=True)
class Human:
    """A platform participant in the room, as its token describes it."""

    identity: str
    participant_id: int
    type: ParticipantType
    name: str = ""
    is_organizer: bool = False

    @property
    def is_professional(self) -> bool:
        return self.type == ParticipantType.PROFESSIONAL


def human_from_attributes(identity: str, name: str, attributes: dict[str, str]) -> Human | None:
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
    )


class RoomGateway(Protocol):
    async def send_text(
        self,
        text: str,
        *,
        topic: str,
        destination_identities: list[str] | None = None,
        attributes: dict[str, str] | None = None,
    ) -> None: ...


class LiveKitRoomGateway:
    """Text streams from the agent's local participant."""

    def __init__(self, room):
        self.room = room

    async def send_text(
        self,
        text: str,
        *,
        topic: str,
        destination_identities: list[str] | None = None,
        attributes: dict[str, str] | None = None,
    ) -> None:
        await self.room.local_participant.send_text(
            text, topic=topic, destination_identities=destination_identities, attributes=attributes
        )
