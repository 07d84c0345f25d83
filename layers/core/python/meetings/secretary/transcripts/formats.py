"""A transcript as JSON, WebVTT (W3C, with `<v Speaker>` voice spans) or plain text.

Each format is a select list and a writer. PostgreSQL does the per-row work it does in C (JSON escaping,
numbers, timestamps), most of it once when a segment is stored; the writer turns each batch of rows into
text with a few passes per batch."""

import json
from collections.abc import Iterable

from meetings.secretary.transcripts.schemas import TranscriptFormat

Batches = Iterable[list[tuple]]


# Each segment's JSON object and cue timing are written once, by the database, when the segment is stored
# (migration 20261201_transcript_rendering); plain text is rarer and keeps its clock per request.
JSON_COLUMNS = "rendered_json"
VTT_COLUMNS = "rendered_cue_timing, speaker_name, text"
TXT_COLUMNS = "to_char(make_interval(secs => start_seconds), 'HH24:MI:SS'), speaker_name, text"
COLUMNS = {
    TranscriptFormat.JSON: JSON_COLUMNS,
    TranscriptFormat.VTT: VTT_COLUMNS,
    TranscriptFormat.TXT: TXT_COLUMNS,
}


def _cue_text(values: Iterable[str]) -> list[str]:
    """Each value as WebVTT cue text: "-->" broken, &, <, > escaped, whitespace runs one space."""
    # Escaped over the whole batch at once: PostgreSQL text never holds NUL, so NUL joins and splits them.
    joined = "\0".join(values).replace("-->", "->")
    joined = joined.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return [" ".join(value.split()) for value in joined.split("\0")]


def webvtt(batches: Batches) -> str:
    parts = ["WEBVTT\n"]
    number = 0
    for batch in batches:
        # A cue's text may not contain "-->" nor a blank line; voice names may not contain ">".
        timings, speakers, texts = zip(*batch, strict=True)
        names = list(set(speakers))
        voices = dict(zip(names, _cue_text(names), strict=True))
        parts.extend(
            f"\n{n}\n{timing}\n<v {voices[speaker]}>{text}\n"
            for n, timing, speaker, text in zip(
                range(number + 1, number + len(batch) + 1),
                timings,
                speakers,
                _cue_text(texts),
                strict=True,
            )
        )
        number += len(batch)
    return "".join(parts)


def plain_text(batches: Batches) -> str:
    parts = []
    for batch in batches:
        names = {speaker: " ".join(speaker.split()) for _, speaker, _ in batch}
        parts.extend(f"[{clock}] {names[speaker]}: {text}\n" for clock, speaker, text in batch)
    return "".join(parts)


def json_document(room_id: str, batches: Batches) -> str:
    """{"room_id": ..., "segments": [...]}, each segment an object PostgreSQL wrote."""
    segments = ",".join([",".join([row[0] for row in batch]) for batch in batches])
    return f'{{"room_id": {json.dumps(room_id)}, "segments": [{segments}]}}'
