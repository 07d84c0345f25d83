"""GET /v1/rooms/{room_id}/transcript: the visit's transcript as JSON, WebVTT or plain text."""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from meetings.api.database import DbSession
from meetings.api.params import RoomIdPath
from meetings.identity.dependency import CurrentPrincipal
from meetings.secretary.transcripts import formats
from meetings.secretary.transcripts.schemas import MEDIA_TYPES, TranscriptFormat, TranscriptOut
from meetings.secretary.transcripts.service import transcript_batches

router = APIRouter(prefix="/v1/rooms", tags=["transcripts"])


def chosen_format(requested: TranscriptFormat | None, accept: str | None) -> TranscriptFormat:
    """`?format=` wins; otherwise the Accept header (text/vtt, text/plain), JSON by default."""
    if requested is not None:
        return requested
    accepted = (accept or "").lower()
    if "text/vtt" in accepted:
        return TranscriptFormat.VTT
    if "text/plain" in accepted:
        return TranscriptFormat.TXT
    return TranscriptFormat.JSON


@router.get(
    "/{room_id}/transcript",
    response_model=TranscriptOut,
    summary="The visit's transcript in time order",
    description="Final speech segments of the participants who consented to the assistant (a line stored "
    "after its speaker refused or withdrew is left out) and the assistant's own, timed in seconds "
    "from the room's start. JSON by default; WebVTT with `<v Speaker>` voice spans with `Accept: text/vtt` or "
    "`?format=vtt`; plain text with `?format=txt`. Another organization's room answers 404.",
    responses={
        200: {
            "content": {
                MEDIA_TYPES[TranscriptFormat.VTT].split(";")[0]: {"schema": {"type": "string"}},
                MEDIA_TYPES[TranscriptFormat.TXT].split(";")[0]: {"schema": {"type": "string"}},
            }
        }
    },
)
async def get_transcript(
    room_id: RoomIdPath,
    db: DbSession,
    principal: CurrentPrincipal,
    format: Annotated[TranscriptFormat | None, Query(description="json, vtt or txt")] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    # A coroutine although it blocks, like the session dependency (meetings.api.database): a Lambda
    # container serves one request at a time, and a sync route costs a thread hop each way.
    chosen = chosen_format(format, accept)
    batches = transcript_batches(db=db, principal=principal, room_id=room_id, columns=formats.COLUMNS[chosen])
    if chosen == TranscriptFormat.VTT:
        body = formats.webvtt(batches)
    elif chosen == TranscriptFormat.TXT:
        body = formats.plain_text(batches)
    else:
        body = formats.json_document(room_id, batches)
    return Response(content=body.encode(), media_type=MEDIA_TYPES[chosen])
