"""/v1/rooms/{room_id}/retention-receipts: what the retention purge removed from a room."""

from fastapi import APIRouter
from sqlalchemy import select

from meetings.api.database import DbSession
from meetings.identity.dependency import CurrentPrincipal
from meetings.secretary.retention.models import RetentionReceipt
from meetings.secretary.retention.schemas import RetentionReceiptOut, RetentionReceipts
from meetings.secretary.rooms.service import get_room

router = APIRouter(tags=["retention"])


@router.get(
    "/v1/rooms/{room_id}/retention-receipts",
    summary="The receipts of the retention purges of a room's transcript and consent records",
    responses={404: {"description": "No such room, or it belongs to another entity"}},
)
def list_receipts(room_id: str, db: DbSession, principal: CurrentPrincipal) -> RetentionReceipts:
    room = get_room(db=db, principal=principal, room_id=room_id)
    receipts = db.scalars(
        select(RetentionReceipt).where(RetentionReceipt.room_id == room.id).order_by(RetentionReceipt.id)
    )
    return RetentionReceipts(
        data=[
            RetentionReceiptOut(
                id=r.id,
                room_id=r.room_id,
                purged=r.purged,
                policy=r.policy,
                content_sha256=r.content_sha256,
                purged_at=r.created_at,
            )
            for r in receipts
        ]
    )
