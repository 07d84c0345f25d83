"""Retention receipts as the API reads them."""

from datetime import datetime

from pydantic import BaseModel


class PurgedKind(BaseModel):
    count: int
    ids: list[int]


class RetentionReceiptOut(BaseModel):
    id: int
    room_id: str
    purged: dict[str, PurgedKind]
    policy: dict
    content_sha256: str
    purged_at: datetime


class RetentionReceipts(BaseModel):
    data: list[RetentionReceiptOut]
