"""The agent's event log (`agent_session_events`): every event's data is
`{participant_id, content, metadata}`; a database outage queues events and records it as AGENT_ERROR."""

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from meetings.log import logger
from meetings.secretary.events.models import AgentEventName
from meetings.secretary.events.service import append_agent_event

from .store import Store

MAX_PENDING_EVENTS = 1000
MAX_CONTENT_CHARS = 8000


@dataclass
class PendingEvent:
    name: AgentEventName
    participant_id: int
    content: str
    metadata: dict[str, Any]


@dataclass
class EventLog:
    """Appends events for one room; keeps serving when the database does not."""

    store: Store
    room_id: str
    agent_participant_id: int
    pending: deque[PendingEvent] = field(default_factory=lambda: deque(maxlen=MAX_PENDING_EVENTS))
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def record(
        self,
        name: AgentEventName,
        *,
        participant_id: int | None = None,
        content: str,
        metadata: dict[str, Any] | None = None,
        defer: bool = False,
    ) -> bool:
        """Writes one event (after any queued ones); returns False when it had to be queued.

        A deferred event waits for the next write, so events of one exchange share a transaction.
        """
        who = self.agent_participant_id if participant_id is None else participant_id
        self.pending.append(PendingEvent(name, int(who), content[:MAX_CONTENT_CHARS], metadata or {}))
        return True if defer else await self.flush()

    async def error(
        self, stage: str, exc: BaseException, *, participant_id: int | None = None, **metadata
    ) -> bool:
        """Records a failure the agent survived."""
        logger.warning("meeting agent error", extra={"stage": stage, "error_type": type(exc).__name__})
        return await self.record(
            AgentEventName.AGENT_ERROR,
            participant_id=participant_id,
            content=f"{stage} failed: {type(exc).__name__}: {exc}"[:500],
            metadata={"stage": stage, "error_type": type(exc).__name__, **metadata},
        )

    async def flush(self) -> bool:
        """Writes every queued event in order; on failure queues an AGENT_ERROR about it for later."""
        async with self._lock:
            return await self._flush_locked()

    async def _flush_locked(self) -> bool:
        if not self.pending:
            return True
        batch = list(self.pending)

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

        try:
            await self.store.run(write)
        except Exception as exc:
            logger.warning("agent events not written, kept for later", extra={"queued": len(self.pending)})
            if not any(e.metadata.get("stage") == "database" for e in self.pending):
                self.pending.append(
                    PendingEvent(
                        AgentEventName.AGENT_ERROR,
                        participant_id=self.agent_participant_id,
                        content=f"database failed: {type(exc).__name__}"[:500],
                        metadata={"stage": "database", "error_type": type(exc).__name__, "at": time.time()},
                    )
                )
            return False
        for _ in batch:
            self.pending.popleft()
        return True
