"""The event types an endpoint can subscribe to; adding one is one line here and one `emit()` call."""

import enum


class EventType(enum.StrEnum):
    ROOM_SCHEDULED = "room.scheduled"
    ROOM_STARTED = "room.started"
    ROOM_ENDED = "room.ended"
    ROOM_CANCELED = "room.canceled"
    PARTICIPANT_JOINED = "participant.joined"
    PARTICIPANT_LEFT = "participant.left"
    PARTICIPANT_WAITING = "participant.waiting"
    RECORDING_READY = "recording.ready"
    RECORDING_FAILED = "recording.failed"
    RECORDING_PURGED = "recording.purged"
    RETENTION_PURGED = "retention.purged"
    NOTE_READY = "note.ready"
    NOTE_FAILED = "note.failed"
    NOTE_SIGNED = "note.signed"


# When each is sent, and the ids its `data` carries besides `entity_id` (the docs and OpenAPI show these).
DESCRIPTIONS: dict[EventType, str] = {
    EventType.ROOM_SCHEDULED: "A room was scheduled. data: room_id, scheduled_at.",
    EventType.ROOM_STARTED: "A meeting started (first join or LiveKit's room_started). data: room_id, started_at.",
    EventType.ROOM_ENDED: "A running meeting ended. data: room_id, ended_at, reason.",
    EventType.ROOM_CANCELED: "A scheduled or running room was canceled. data: room_id, canceled_at.",
    EventType.PARTICIPANT_JOINED: "A participant connected to the meeting. data: room_id, participant_id, joined_at.",
    EventType.PARTICIPANT_LEFT: "A participant disconnected. data: room_id, participant_id, left_at.",
    EventType.PARTICIPANT_WAITING: "A client knocked at a room's waiting room. data: room_id, participant_id, waiting_since.",
    EventType.RECORDING_READY: "A recording's file is stored and downloadable. data: room_id, recording_id.",
    EventType.RECORDING_FAILED: "A recording attempt failed (a retry may follow). data: room_id, recording_id, attempt.",
    EventType.RECORDING_PURGED: "A recording's file was deleted by the retention purge. data: room_id, recording_id.",
    EventType.RETENTION_PURGED: "The retention purge removed an entity's data. data: resource, count.",
    EventType.NOTE_READY: "A visit's draft note is ready for review. data: room_id, note_id, version, statements, unsupported.",
    EventType.NOTE_FAILED: "Drafting a visit's note failed. data: room_id, note_id, version, code.",
    EventType.NOTE_SIGNED: "A visit note was signed. data: room_id, note_id, version, content_hash.",
}
