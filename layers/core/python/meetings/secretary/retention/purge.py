"""Retention of a room's words and choices: transcript segments, consent records, the note versions
nobody signed and the agent's events (which hold the words again: each final transcript, each question
and answer), past the entity's retention, are deleted, and a receipt says what went. Signed (and
superseded) note versions stay: they are the clinical record the professional signed. The agent's log
is append-only for every role; its events leave through `purge_agent_events()` (migration
20261202_purge_agent_events), which the jobs role alone may call.

A room is due when it is over (COMPLETED or CANCELED), `coalesce(ended_at, scheduled_at)` plus its
entity's `recording_retention_days` (30 for rooms with no entity, as for their recordings) has passed,
and none of its recordings is still stored. A recording keeps the retention it was made under, so after
the entity shortens its retention the recording may outlive the room's other content: the consent
records that allowed it, and the words it holds, stay until it is gone.
Each room is one transaction: its row is locked FOR UPDATE SKIP LOCKED, its rows are read in id order,
hashed, deleted, and the receipt and the RETENTION_PURGED room event are written in the same commit. An
interrupted run therefore leaves each room either untouched or fully purged with its one receipt; the next
run picks up the untouched ones, and a purged room has nothing left to select, so nothing is counted twice.

`content_sha256` is SHA-256 over the purged rows in the receipt's order (segments, consent records, notes,
agent events), each kind in id order, one canonical JSON object per line (sorted keys, no spaces, ISO
times, decimals as strings).
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Integer, cast, delete, exists, func, literal, or_, select, text
from sqlalchemy.orm import Session

from meetings.log import logger
from meetings.manager.entities.models import Entity
from meetings.secretary.consent.models import ConsentRecord
from meetings.secretary.events.models import AgentSessionEvent, RoomEventName
from meetings.secretary.events.service import append_room_event
from meetings.secretary.notes.models import SIGNED_STATUSES, VisitNote
from meetings.secretary.recordings.models import Recording
from meetings.secretary.retention.models import RetentionReceipt
from meetings.secretary.rooms.models import Room, RoomStatus
from meetings.secretary.transcripts.models import TranscriptSegment

INDEPENDENT_RETENTION_DAYS = 30
KINDS = (
    ("transcript_segments", TranscriptSegment, True),
    ("consent_records", ConsentRecord, True),
    ("unsigned_notes", VisitNote, VisitNote.status.not_in(SIGNED_STATUSES)),
)


@dataclass
class ContentPurgeReport:
    rooms: int = 0
    receipts: list[int] = field(default_factory=list)
    complete: bool = False

    def as_dict(self) -> dict:
        return {"rooms": self.rooms, "receipts": self.receipts, "complete": self.complete}


def _retention_days():
    return func.coalesce(Entity.recording_retention_days, literal(INDEPENDENT_RETENTION_DAYS))


AGENT_EVENTS = "agent_events"
_PURGE_AGENT_EVENTS = text("SELECT * FROM purge_agent_events(:room_id)")


def _due_rooms(cutoff) -> select:
    has_content = or_(
        *(exists().where(model.room_id == Room.id, purged) for _, model, purged in KINDS),
        exists().where(AgentSessionEvent.room_id == Room.id),
    )
    over_at = func.coalesce(Room.ended_at, Room.scheduled_at)
    return (
        select(Room.id, _retention_days().label("days"))
        .outerjoin(Entity, Entity.id == Room.entity_id)
        .where(
            Room.status.in_([RoomStatus.COMPLETED, RoomStatus.CANCELED]),
            over_at + func.make_interval(0, 0, 0, cast(_retention_days(), Integer)) <= cutoff,
            ~exists().where(Recording.room_id == Room.id, Recording.deleted_at.is_(None)),
            has_content,
        )
        .order_by(Room.id)
        .with_for_update(of=Room, skip_locked=True)
        .limit(1)
    )


def _canonical(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row_dict(model, row) -> dict:
    return {column.name: _canonical(getattr(row, column.key)) for column in model.__table__.columns}


def _hash_rows(digest, model, rows) -> list:
    for row in rows:
        line = json.dumps(_row_dict(model, row), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest.update(line.encode() + b"\n")
    return [row.id for row in rows]


def purge_room_content(*, db: Session, room_id: str, retention_days: int) -> RetentionReceipt:
    """Deletes one (locked, finished) room's transcript, consent records, unsigned notes and agent events
    and writes their receipt."""
    digest = hashlib.sha256()
    purged: dict = {}
    for kind, model, condition in KINDS:
        rows = db.scalars(select(model).where(model.room_id == room_id, condition).order_by(model.id)).all()
        ids = _hash_rows(digest, model, rows)
        if ids:
            db.execute(
                delete(model).where(model.id.in_(ids)), execution_options={"synchronize_session": False}
            )
        purged[kind] = {"count": len(ids), "ids": ids}
    events = db.scalars(
        select(AgentSessionEvent).from_statement(_PURGE_AGENT_EVENTS), {"room_id": room_id}
    ).all()
    ids = _hash_rows(digest, AgentSessionEvent, sorted(events, key=lambda event: event.id))
    purged[AGENT_EVENTS] = {"count": len(ids), "ids": ids}
    policy = {"retention_days": retention_days, "measured_from": "ended_at (scheduled_at when never held)"}
    receipt = RetentionReceipt(
        room_id=room_id, purged=purged, policy=policy, content_sha256=digest.hexdigest()
    )
    db.add(receipt)
    db.flush()
    append_room_event(
        db=db,
        room_id=room_id,
        event_name=RoomEventName.RETENTION_PURGED,
        data={
            "receipt_id": receipt.id,
            "counts": {kind: value["count"] for kind, value in purged.items()},
            "content_sha256": receipt.content_sha256,
            "retention_days": retention_days,
        },
    )
    db.flush()
    return receipt


def purge_due_room_content(
    *, db: Session, now: datetime | None = None, keep_going: Callable[[], bool] = lambda: True
) -> ContentPurgeReport:
    """Purges due rooms one transaction each until none is left or `keep_going()` says stop."""
    report = ContentPurgeReport()
    cutoff = now if now is not None else func.now()
    while keep_going():
        due = db.execute(_due_rooms(cutoff)).first()
        if due is None:
            db.commit()
            report.complete = True
            logger.info("room content purge complete", extra=report.as_dict())
            return report
        receipt = purge_room_content(db=db, room_id=due.id, retention_days=due.days)
        db.commit()
        report.rooms += 1
        report.receipts.append(receipt.id)
    logger.info("room content purge stopped before its time ran out", extra=report.as_dict())
    return report
