"""The agent in one meeting: who is there, what they say, what it answers and suggests, and what it
records. Room-facing and model-facing parts are injected, so the whole meeting runs in tests."""

import asyncio
import uuid
from dataclasses import dataclass, field

from livekit.agents import APIConnectOptions, llm, stt

from meetings.manager.knowledge.retrieval import RetrievedChunk
from meetings.meeting_protocol import ATTR_PARTICIPANT_ID, TRANSCRIPTION_TOPIC
from meetings.secretary.events.models import AgentEventName

from .config import AgentConfig
from .events import EventLog
from .instructions import MeetingContext, compose_instructions
from .knowledge import KnowledgeSource
from .questions import QuestionAnswerer, wake_word_pattern
from .registration import Registration, register_agent, unregister_agent
from .room_gateway import Human, RoomGateway
from .store import Store
from .suggestions import SuggestionAdvisor
from .transcription import MeetingTranscriber, Transcript
from .usage import UsageMeter, UsageRecorder


@dataclass
class MeetingAgent:
    """Everything the agent does for one room, between `start()` and `close()`."""

    config: AgentConfig
    context: MeetingContext
    store: Store
    gateway: RoomGateway
    llm: llm.LLM
    stt: stt.STT
    knowledge: KnowledgeSource
    agent_name: str
    humans: dict[str, Human] = field(default_factory=dict)
    registration: Registration | None = None
    closed: bool = False
    _background: set[asyncio.Task] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.instructions = compose_instructions(self.context)
        self.usage = UsageMeter(
            model=self.config.llm_model,
            temperature=self.config.llm_temperature,
            stt_model=self.config.stt_model,
            price_table=self.config.price_table,
        )
        self.llm_conn_options = APIConnectOptions(max_retry=1, retry_interval=0.5)
        self.wake_words = wake_word_pattern(self.config.wake_words)
        self.answerer = QuestionAnswerer(self)
        self.advisor = SuggestionAdvisor(self)
        self.transcriber = MeetingTranscriber(
            stt_engine=self.stt,
            on_transcript=self.on_transcript,
            on_error=self._on_stt_error,
            on_audio=self.usage.add_audio,
            restart_limit=self.config.stt_restart_limit,
            restart_delay_seconds=self.config.stt_restart_delay_seconds,
        )

    # Lifecycle

    async def start(self) -> Registration:
        """Registers the agent in the database and starts the usage flush."""
        self.registration = await self.store.run(
            lambda db: register_agent(
                db=db,
                context=self.context,
                name=self.agent_name,
                phone_number=self.config.phone_number,
                usage_data=self.usage.as_data(),
            )
        )
        self.events = EventLog(self.store, self.context.room_id, self.registration.participant_id)
        self.recorder = UsageRecorder(
            self.store, self.registration.usage_id, self.usage, self.config.usage_flush_seconds
        )
        self.recorder.start()
        return self.registration

    async def close(self, reason: str) -> None:
        """Stops listening and records AGENT_LEFT and the final usage (runs once)."""
        if self.closed or self.registration is None:
            return
        self.closed = True
        await self.transcriber.aclose()
        await self.settle()
        await self.answerer.aclose()
        await self.events.flush()
        registration = self.registration
        await self.store.run(
            lambda db: unregister_agent(
                db=db, room_id=self.context.room_id, registration=registration, reason=reason
            )
        )
        await self.recorder.finish()

    async def settle(self) -> None:
        """Waits for answers and suggestions still being prepared."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    def _spawn(self, coro) -> asyncio.Task:
        """Runs an answer or a suggestion in the background; whatever it fails with is an AGENT_ERROR."""

        async def guarded() -> None:
            try:
                await coro
            except Exception as exc:
                await self.events.error("agent", exc)

        task = asyncio.create_task(guarded())
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    # Participants

    def participant_joined(self, human: Human, audio=None) -> None:
        """Tracks a human; with their audio, starts transcribing them."""
        self.humans[human.identity] = human
        if audio is not None:
            self.transcriber.add(human, audio)

    async def participant_left(self, identity: str) -> None:
        self.humans.pop(identity, None)
        await self.transcriber.remove(identity)

    def professionals(self) -> list[Human]:
        return [h for h in self.humans.values() if h.is_professional]

    async def say_to(
        self, human: Human, text: str, *, topic: str, attributes: dict[str, str] | None = None
    ) -> None:
        """Sends text to one participant only."""
        try:
            await self.gateway.send_text(
                text, topic=topic, destination_identities=[human.identity], attributes=attributes
            )
        except Exception as exc:
            await self.events.error("room", exc, participant_id=human.participant_id)

    # What the agent hears

    async def on_chat_message(self, identity: str, text: str) -> None:
        """A chat message addressed to the assistant: answered to its sender."""
        asker = self.humans.get(identity)
        if asker is None or not text.strip() or self.closed:
            return
        self._spawn(self.answerer.answer(asker, text.strip(), channel="chat"))

    async def on_transcript(self, transcript: Transcript) -> None:
        """Publishes, logs and reacts to one participant's final transcript."""
        human = transcript.human
        self.usage.transcriptions += 1
        try:
            await self.gateway.send_text(
                transcript.text,
                topic=TRANSCRIPTION_TOPIC,
                attributes={
                    "lk.transcription_final": "true",
                    "lk.segment_id": f"SG_{uuid.uuid4().hex[:12]}",
                    "lk.participant_identity": human.identity,
                    ATTR_PARTICIPANT_ID: str(human.participant_id),
                },
            )
        except Exception as exc:
            await self.events.error("room", exc, participant_id=human.participant_id)
        await self.events.record(
            AgentEventName.TRANSCRIPTION_PROCESSED,
            participant_id=human.participant_id,
            content=transcript.text,
            metadata={
                "speaker_identity": human.identity,
                "speaker_type": human.type.value,
                "start_seconds": transcript.start_seconds,
                "end_seconds": transcript.end_seconds,
                "duration_seconds": round(transcript.end_seconds - transcript.start_seconds, 3),
                "language": transcript.language,
                "confidence": transcript.confidence,
                "received_at": transcript.received_at,
            },
        )
        if self.closed:
            return
        if self.wake_words.search(transcript.text):
            self._spawn(self.answerer.answer(human, transcript.text, channel="speech"))
        elif self.advisor.hear(human.name or human.type.value.lower(), transcript.text):
            self._spawn(self.advisor.suggest())

    async def _on_stt_error(self, human: Human, exc: BaseException) -> None:
        await self.events.error("stt", exc, participant_id=human.participant_id)

    # Knowledge

    async def retrieve(self, query: str, *, participant_id: int | None, purpose: str) -> list[RetrievedChunk]:
        """Searches the knowledge base and logs CONTEXT_RETRIEVED (written with the event that follows
        it: the answer, the suggestion or an error); a failure yields no passages."""
        self.usage.kb_queries += 1
        try:
            passages = await self.knowledge.search(query, k=self.config.kb_results)
        except Exception as exc:
            await self.events.error("retrieval", exc, participant_id=participant_id, purpose=purpose)
            return []
        await self.events.record(
            AgentEventName.CONTEXT_RETRIEVED,
            participant_id=participant_id,
            content=query,
            metadata={
                "purpose": purpose,
                "chunks": [
                    {
                        "chunk_id": p.id,
                        "document_name": p.document_name,
                        "page": p.page,
                        "department_id": p.department_id,
                        "score": round(p.score, 4),
                    }
                    for p in passages
                ],
            },
            defer=True,
        )
        return passages
