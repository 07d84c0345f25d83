"""The agent's event log (`agent_session_events`): every event's data is
`{participant_id, content, metadata}`. A database outage queues events (and records it as AGENT_ERROR);
a queue that overflows keeps count of what it could not keep and reports it once the database is back.

Tenants read this log, so an AGENT_ERROR says which stage failed, the kind of error and a fixed
sentence about it; the exception's own text (host names, users, provider messages) goes to the
structured log only."""

import asyncio
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from meetings.log import logger
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
        logger.warning(
            "meeting agent error",
            extra={"stage": stage, "error_type": kind, "error": str(exc)[:1000], "room_id": self.room_id},
        )
        return await self.record(
            AgentEventName.AGENT_ERROR,
            participant_id=participant_id,
            content=f"{stage} failed: {message}",
            metadata={"stage": stage, "error_type": kind, **metadata},
        )

    async def flush(self) -> bool:
        """Writes every queued event in order; on failure queues an AGENT_ERROR about it for later."""
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

    async def _flush_locked(self) -> bool:
        report = self._dropped_report()
        if not self.pending and report is None:
            return True
        batch = list(self.pending) + ([report] if report else [])

        def write(db) -> None:
            for e in batch:
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

        try:
            await self.store.run(write)
        except Exception as exc:
            kind, message = safe_error(exc)
            logger.warning(
                "agent events not written, kept for later",
                extra={"queued": len(self.pending), "error_type": kind, "error": str(exc)[:1000]},
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
        for _ in range(len(batch) - (1 if report else 0)):
            self.pending.popleft()
        if report is not None:
            self.dropped.clear()
        return True
