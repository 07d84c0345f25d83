"""Bodies of the room and agent event logs."""

from datetime import datetime

from meetings.validation import ResponseModel


class RoomEventOut(ResponseModel):
    id: int
    room_id: str
    event_name: str
    data: dict
    created_at: datetime


class AgentEventOut(ResponseModel):
    id: int
    room_id: str
    event_name: str
    data: dict
    created_at: datetime
