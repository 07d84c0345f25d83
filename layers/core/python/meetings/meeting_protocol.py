"""What the backend, the meeting agent and the join page agree on inside a LiveKit room."""

import json

# Text-stream topics.
CHAT_TOPIC = "lk.chat"  # participants ask the assistant; the assistant answers the asker on it
TRANSCRIPTION_TOPIC = "lk.transcription"  # live captions published by the agent
SUGGESTIONS_TOPIC = "meetings.suggestions"  # private tips, sent only to PROFESSIONAL participants
# Every message on this topic is a question to the assistant; on CHAT_TOPIC only those that address it
# ("Assistant, ..."). The assistant answers on CHAT_TOPIC, to the asker only.
ASSISTANT_TOPIC = "meetings.assistant"

# Participant attributes set in every access token the platform mints.
ATTR_PARTICIPANT_ID = "participant_id"
ATTR_PARTICIPANT_TYPE = "participant_type"
ATTR_ROOM_ID = "room_id"
ATTR_IS_ORGANIZER = "is_organizer"
# "true" or "false": the participant's current consent. Set in the token at join; the secretary updates
# ATTR_CONSENT_ASSISTANT through RoomService.UpdateParticipant when the participant withdraws it.
ATTR_CONSENT_RECORDING = "consent_recording"
ATTR_CONSENT_ASSISTANT = "consent_assistant"

IDENTITY_PREFIX = "participant-"


def participant_identity(participant_id: int) -> str:
    """The LiveKit identity of a platform participant: stable across joins and rooms."""
    return f"{IDENTITY_PREFIX}{participant_id}"


def participant_id_from_identity(identity: str) -> int | None:
    """The platform participant id behind a LiveKit identity, or None for anything else."""
    if identity.startswith(IDENTITY_PREFIX) and identity[len(IDENTITY_PREFIX) :].isdigit():
        return int(identity[len(IDENTITY_PREFIX) :])
    return None


def agent_dispatch_metadata(room_id: str) -> str:
    """Job metadata the agent receives when dispatched to a room."""
    return json.dumps({"room_id": room_id})


def room_id_from_dispatch_metadata(metadata: str) -> str:
    return json.loads(metadata)["room_id"]
