"""A transcript as JSON, WebVTT (W3C, with `<v Speaker>` voice spans) or plain text, written row by row."""

import json
from collections.abc import Iterable, Iterator
from decimal import Decimal

from pydantic_core import to_json

from meetings.secretary.transcripts.service import SegmentRow

VTT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def timestamp(seconds: Decimal) -> str:
    """hh:mm:ss.ttt (WebVTT) from seconds."""
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    whole, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{whole:02d}.{millis:03d}"


Batches = Iterable[list[SegmentRow]]


def _rows(batches: Batches) -> Iterator[SegmentRow]:
    for batch in batches:
        yield from batch


def webvtt(batches: Batches) -> Iterator[str]:
    yield "WEBVTT\n"
    for number, row in enumerate(_rows(batches), start=1):
        # A cue's text may not contain "-->" nor a blank line; voice names may not contain ">".
        text = " ".join(row.text.replace("-->", "->").translate(VTT_ESCAPES).split())
        speaker = " ".join(row.speaker_name.translate(VTT_ESCAPES).split())
        yield (
            f"\n{number}\n{timestamp(row.start_seconds)} --> {timestamp(row.end_seconds)}\n"
            f"<v {speaker}>{text}\n"
        )


def plain_text(batches: Batches) -> Iterator[str]:
    for row in _rows(batches):
        yield f"[{timestamp(row.start_seconds)[:8]}] {' '.join(row.speaker_name.split())}: {row.text}\n"


def json_document(room_id: str, batches: Batches) -> Iterator[str]:
    """{"room_id": ..., "segments": [...]}, each batch serialised at once."""
    yield f'{{"room_id": {json.dumps(room_id)}, "segments": ['
    separator = ""
    for batch in batches:
        if not batch:
            continue
        segments = [
            {
                "id": row.id,
                "participant": {
                    "id": row.participant_id,
                    "display_name": row.speaker_name,
                    "type": row.speaker_type,
                },
                "start_seconds": float(row.start_seconds),
                "end_seconds": float(row.end_seconds),
                "text": row.text,
                "language": row.language,
                "confidence": row.confidence,
            }
            for row in batch
        ]
        yield separator + to_json(segments).decode()[1:-1]
        separator = ","
    yield "]}"
