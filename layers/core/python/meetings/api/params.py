"""Path and query parameters built from the bounded types in meetings.validation.

A path value out of its column's range names no row and is answered like a missing one (404).
"""

from typing import Annotated

from fastapi import Path, Query

from meetings.validation import ID_MAX, ID_MIN, Timestamp, bounded_text

IdPath = Annotated[int, Path(ge=ID_MIN, le=ID_MAX)]
RoomIdPath = Annotated[bounded_text(255), Path()]
TokenPath = Annotated[bounded_text(255), Path()]
IdQuery = Annotated[int | None, Query(ge=ID_MIN, le=ID_MAX)]


def text_query(max_length: int, description: str):
    """An optional text filter of at most `max_length` characters."""
    return Annotated[bounded_text(max_length) | None, Query(description=description)]


def time_query(description: str, *, alias: str | None = None):
    """An optional time filter within the sane range (UTC when given without an offset)."""
    return Annotated[Timestamp | None, Query(alias=alias, description=description)]
