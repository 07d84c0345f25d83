"""Recording transcript segments (the meeting agent) and reading a room's transcript in time order."""

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from meetings.secretary.participants.models import ParticipantType
from meetings.secretary.transcripts.models import TranscriptSegment

# A 60-minute visit (about 1,500 segments) is one fetch; longer ones stream in batches of this size.
READ_BATCH = 2_000


@dataclass(frozen=True)
class SegmentRow:
    id: int
    participant_id: int | None
    speaker_name: str
    speaker_type: str
    start_seconds: Decimal
    end_seconds: Decimal
    text: str
    language: str | None
    confidence: float | None


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


def transcript_batches(*, db: Session, room_id: str) -> Iterator[list[SegmentRow]]:
    """The room's segments in time order, in batches from a server-side cursor (a long visit is never
    held in memory at once)."""
    statement = (
        select(
            TranscriptSegment.id,
            TranscriptSegment.participant_id,
            TranscriptSegment.speaker_name,
            TranscriptSegment.speaker_type,
            TranscriptSegment.start_seconds,
            TranscriptSegment.end_seconds,
            TranscriptSegment.text,
            TranscriptSegment.language,
            TranscriptSegment.confidence,
        )
        .where(TranscriptSegment.room_id == room_id)
        .order_by(TranscriptSegment.start_seconds, TranscriptSegment.id)
        .execution_options(yield_per=READ_BATCH)
    )
    for partition in db.execute(statement).partitions():
        yield [SegmentRow(*row) for row in partition]
