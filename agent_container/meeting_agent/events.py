"""The agent's event log (`agent_session_events`): every event's data is
`{participant_id, content, metadata}`. A database outage queues events (and records it as AGENT_ERROR);
a queue that overflows keeps count of what it could not keep and reports it once the database is back.

Tenants read this log, so an AGENT_ERROR says which stage failed, the kind of error and a fixed
sentence about it. The structured log gets the exception's type and where it was raised
(`meetings.log.failure`), never its text: a database error's DETAIL repeats the row it refused, a
transcript line among them.

A batch the database refuses for what it holds (a data exception or a constraint violation) would be
refused again on every flush and hold back everything queued behind it; its events are then written one
at a time, and those refused again are dropped and counted like an overflow."""

import asyncio
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DataError, IntegrityError

from meetings.log import failure, logger
from meetings.secretary.events.models import AgentEventName
from meetings.secretary.events.service import append_agent_event
from meetings.secretary.transcripts.service import record_transcript_segment

from .store import Store

MAX_PENDING_EVENTS = 5000
MAX_CONTENT_CHARS = 8000

# Safe sentences by error kind (matched on the exception's class and its bases, by name, so no
# provider library has to be imported here).
SAFE_MESSAGES = {
    "APITimeoutError": "the service did not answer in time",
    "APIConnectionError": "the service could not be reached",
    "APIStatusError": "the service refused the request",
    "APIError": "the service reported an error",
    "OperationalError": "the database could not be reached",
    "DBAPIError": "the database reported an error",
    "TimeoutError": "the operation timed out",
    "ConnectionError": "the connection failed",
    "ToolFailure": "a knowledge-base search failed",
    "NoAnswer": "the language model gave no answer",
}
DEFAULT_SAFE_MESSAGE = "an unexpected error occurred"


def safe_error(exc: BaseException) -> tuple[str, str]:
    """The error's kind (its class name) and a sentence safe to show a tenant."""
    for cls in type(exc).__mro__:
        if cls.__name__ in SAFE_MESSAGES:
            return type(exc).__name__, SAFE_MESSAGES[cls.__name__]
    return type(exc).__name__, DEFAULT_SAFE_MESSAGE


@dataclass
class PendingEvent:
    name: AgentEventName
    participant_id: int
    content: str
    metadata: dict[str, Any]
    segment: dict[str, Any] | None = None  # a transcript segment written with the event


@dataclass
class EventLog:
    """Appends events for one room; keeps serving when the database does not."""

    store: Store
    room_id: str
    agent_participant_id: int
    capacity: int = MAX_PENDING_EVENTS
    pending: deque[PendingEvent] = field(default_factory=deque)
    dropped: Counter = field(default_factory=Counter)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def record(
        self,
        name: AgentEventName,
        *,
        participant_id: int | None = None,
        content: str,
        metadata: dict[str, Any] | None = None,
        defer: bool = False,
        segment: dict[str, Any] | None = None,
    ) -> bool:
        """Writes one event (after any queued ones); returns False when it had to be queued.

        A deferred event waits for the next write, so events of one exchange share a transaction.
        """
        who = self.agent_participant_id if participant_id is None else participant_id
        if len(self.pending) >= self.capacity:
            self.dropped[name.value] += 1
        else:
            self.pending.append(
                PendingEvent(name, int(who), content[:MAX_CONTENT_CHARS], metadata or {}, segment)
            )
        return True if defer else await self.flush()

    async def error(
        self, stage: str, exc: BaseException, *, participant_id: int | None = None, **metadata
    ) -> bool:
        """Records a failure the agent survived: kind and a safe sentence here, details in the log."""
        kind, message = safe_error(exc)
        logger.warning("meeting agent error", extra={"stage": stage, "room_id": self.room_id, **failure(exc)})
        return await self.record(
            AgentEventName.AGENT_ERROR,
            participant_id=participant_id,
            content=f"{stage} failed: {message}",
            metadata={"stage": stage, "error_type": kind, **metadata},
        )

    async def flush(self) -> bool:
        """Writes every queued event in order; on failure queues an AGENT_ERROR about it for later.

        Shielded: the write runs in a thread, which a cancelled caller (a recognition stream cut at a
        consent withdrawal) cannot stop. The flush therefore always finishes, and takes off the queue
        what was committed, instead of leaving it there to be written a second time."""
        return await asyncio.shield(self._flush())

    async def _flush(self) -> bool:
        async with self._lock:
            return await self._flush_locked()

    def _dropped_report(self) -> PendingEvent | None:
        if not self.dropped:
            return None
        return PendingEvent(
            AgentEventName.AGENT_ERROR,
            participant_id=self.agent_participant_id,
            content=f"database failed: {sum(self.dropped.values())} events could not be kept",
            metadata={"stage": "database", "error_type": "EventsDropped", "dropped": dict(self.dropped)},
        )

    async def _flush_locked(self, *, one_by_one_if_refused: bool = True) -> bool:
        report = self._dropped_report()
        if not self.pending and report is None:
            return True
        batch = list(self.pending) + ([report] if report else [])
        try:
            await self.store.run(lambda db: self._write(db, batch))
        except Exception as exc:
            if one_by_one_if_refused and refused_for_what_it_holds(exc):
                return await self._write_one_by_one()
            return self._kept_for_later(exc)
        for _ in range(len(batch) - (1 if report else 0)):
            self.pending.popleft()
        if report is not None:
            self.dropped.clear()
        return True

    def _write(self, db, events: list[PendingEvent]) -> None:
        for e in events:
            append_agent_event(
                db=db,
                room_id=self.room_id,
                event_name=e.name,
                participant_id=e.participant_id,
                content=e.content,
                metadata=e.metadata,
            )
            if e.segment is not None:
                record_transcript_segment(db=db, room_id=self.room_id, **e.segment)

    async def _write_one_by_one(self) -> bool:
        """Each queued event in a transaction of its own, after the database refused their batch: an
        event refused again is dropped (and counted), a failure of another kind keeps the rest queued."""
        while self.pending:
            event = self.pending[0]
            try:
                await self.store.run(lambda db, event=event: self._write(db, [event]))
            except Exception as exc:
                if not refused_for_what_it_holds(exc):
                    return self._kept_for_later(exc)
                self.dropped[event.name.value] += 1
                logger.warning(
                    "agent event refused by the database, dropped",
                    extra={"event": event.name.value, "room_id": self.room_id, **failure(exc)},
                )
            self.pending.popleft()
        return await self._flush_locked(one_by_one_if_refused=False)  # the report of what was dropped

    def _kept_for_later(self, exc: BaseException) -> bool:
        """Keeps the queue for the next flush and queues an AGENT_ERROR about the outage (once)."""
        kind, message = safe_error(exc)
        logger.warning(
            "agent events not written, kept for later", extra={"queued": len(self.pending), **failure(exc)}
        )
        if not any(e.metadata.get("stage") == "database" for e in self.pending):
            outage = PendingEvent(
                AgentEventName.AGENT_ERROR,
                participant_id=self.agent_participant_id,
                content=f"database failed: {message}",
                metadata={"stage": "database", "error_type": kind, "at": time.time()},
            )
            if len(self.pending) < self.capacity:
                self.pending.append(outage)
        return False


def refused_for_what_it_holds(exc: BaseException) -> bool:
    """A database error about the values written (SQLSTATE class 22 or 23, which SQLAlchemy raises as
    DataError and IntegrityError, as the API maps them): writing the same values again can never
    succeed."""
    return isinstance(exc, DataError | IntegrityError)
