"""Recording transcript segments (the meeting agent) and reading a room's transcript in time order."""

from collections.abc import Iterator
from itertools import islice

from sqlalchemy.orm import Session

from meetings.identity.principal import Principal
from meetings.secretary.participants.models import ParticipantType
from meetings.secretary.rooms.service import get_room
from meetings.secretary.transcripts.consented import DECISIONS, HEARD_WITH_CONSENT
from meetings.secretary.transcripts.models import TranscriptSegment

# A 60-minute visit (about 1,500 segments) is one chunk; longer ones stream in chunks of this size.
READ_BATCH = 250


def record_transcript_segment(
    *,
    db: Session,
    room_id: str,
    participant_id: int | None,
    speaker_name: str,
    speaker_type: ParticipantType,
    start_seconds: float,
    end_seconds: float,
    text: str,
    language: str | None = None,
    confidence: float | None = None,
) -> TranscriptSegment:
    """Stores one final segment (flushed by the caller's commit)."""
    segment = TranscriptSegment(
        room_id=room_id,
        participant_id=participant_id,
        speaker_name=speaker_name,
        speaker_type=speaker_type,
        start_seconds=round(max(start_seconds, 0.0), 3),
        end_seconds=round(max(end_seconds, start_seconds, 0.0), 3),
        text=text,
        language=language,
        confidence=confidence,
    )
    db.add(segment)
    return segment


def transcript_batches(
    *, db: Session, principal: Principal, room_id: str, columns: str
) -> Iterator[list[tuple]]:
    """The segments of a room the caller may see, in time order, as batches of rows of `columns` (a
    constant SQL select list): the assistant's own speech and the lines its consent covers (a line of
    someone who refused or withdrew is never served, whatever was stored). A room they may not see
    answers 404 as get_room does."""
    # One query on the session's own connection (its transaction and row-level security scope), streamed
    # in chunks by libpq: a long visit is never held in memory at once, and one that fits a chunk costs
    # one round trip. The room condition is visible_rooms' (row-level security says the same again).
    cursor = db.connection().connection.driver_connection.cursor()
    rows = cursor.stream(
        f"WITH {DECISIONS} SELECT {columns} FROM transcript_segments s WHERE s.room_id = ("
        "SELECT id FROM rooms WHERE id = %(room_id)s AND (%(manager)s OR entity_id = %(entity_id)s))"
        f" AND (s.speaker_type = 'AGENT' OR {HEARD_WITH_CONSENT})"
        " ORDER BY s.start_seconds, s.id",
        {"room_id": room_id, "manager": principal.is_manager, "entity_id": principal.entity_id},
        size=READ_BATCH,
    )
    silent = True
    while batch := list(islice(rows, READ_BATCH)):
        silent = False
        yield batch
    if silent:  # no segment: a room without speech, or none of theirs
        get_room(db=db, principal=principal, room_id=room_id)
