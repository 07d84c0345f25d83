"""A transcript as JSON, WebVTT (W3C, with `<v Speaker>` voice spans) or plain text.

Each format is a select list and a writer. PostgreSQL does the per-row work it does in C (JSON escaping,
numbers, timestamps); the writer turns each batch of those rows into text with a few passes per batch."""

import json
from collections.abc import Iterable

from meetings.secretary.transcripts.schemas import TranscriptFormat

Batches = Iterable[list[tuple]]


def _seconds(column: str) -> str:
    """A numeric(10,3) column as Python writes it as a float: 0.5, 2.16, 3600.0."""
    return (
        f"CASE WHEN {column} = trunc({column}) THEN trunc({column})::text || '.0'"
        f" ELSE trim_scale({column})::text END"
    )


def _clock(column: str, pattern: str) -> str:
    return f"to_char(make_interval(secs => {column}), '{pattern}')"


JSON_COLUMNS = (
    """'{"id":' || id || ',"participant":{"id":' || coalesce(participant_id::text, 'null')"""
    """ || ',"display_name":' || to_json(speaker_name)::text || ',"type":"' || speaker_type::text"""
    f""" || '"}},"start_seconds":' || {_seconds("start_seconds")}"""
    f""" || ',"end_seconds":' || {_seconds("end_seconds")}"""
    """ || ',"text":' || to_json(text)::text || ',"language":' || coalesce(to_json(language)::text, 'null')"""
    """ || ',"confidence":' || coalesce(CASE WHEN confidence = trunc(confidence)"""
    """ THEN trunc(confidence)::text || '.0' ELSE confidence::text END, 'null') || '}'"""
)
VTT_COLUMNS = f"{_clock('start_seconds', 'HH24:MI:SS.MS')}, {_clock('end_seconds', 'HH24:MI:SS.MS')}, speaker_name, text"
TXT_COLUMNS = f"{_clock('start_seconds', 'HH24:MI:SS')}, speaker_name, text"
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
        starts, ends, speakers, texts = zip(*batch, strict=True)
        names = list(set(speakers))
        voices = dict(zip(names, _cue_text(names), strict=True))
        parts.extend(
            f"\n{n}\n{start} --> {end}\n<v {voices[speaker]}>{text}\n"
            for n, start, end, speaker, text in zip(
                range(number + 1, number + len(batch) + 1),
                starts,
                ends,
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
