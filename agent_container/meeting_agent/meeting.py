"""The agent in one meeting: who is there, what they say, what it answers and suggests, and what it
records. Room-facing and model-facing parts are injected, so the whole meeting runs in tests.

Questions. Text is a question to the assistant when it is addressed to it: a chat message (on
`lk.chat`) or a speech segment that begins with the wake word ("Assistant, ..."), or any message on
the assistant's own topic. A segment that is only the address ("Assistant.") is joined with the same
speaker's next segment within `question_join_seconds`. Everything else (people talking or chatting
with each other, the assistant named in passing) is never answered.
"""

import asyncio
import time
from dataclasses import dataclass, field, replace

from livekit.agents import APIConnectOptions, llm, stt

from meetings.meeting_protocol import TRANSCRIPTION_TOPIC
from meetings.secretary.events.models import AgentEventName
from meetings.secretary.participants.models import ParticipantType
from meetings.secretary.participants.service import participant_roles

from .config import AgentConfig
from .events import EventLog
from .instructions import MeetingContext, compose_instructions
from .knowledge import KnowledgeSource
from .questions import QuestionAnswerer, address_pattern, addressed_question
from .registration import Registration, register_agent, unregister_agent
from .room_gateway import Human, RoomGateway, caption_attributes
from .services import MeetingServices
from .store import Store
from .suggestions import SuggestionAdvisor
from .transcription import Caption, MeetingTranscriber, Transcript
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
    _background: set[asyncio.Future] = field(default_factory=set)
    _addressed: dict[str, float] = field(default_factory=dict)  # identity -> when they said only "Assistant"

    def __post_init__(self) -> None:
        self.instructions = compose_instructions(self.context)
        self.usage = UsageMeter(
            model=self.config.llm_model,
            temperature=self.config.llm_temperature,
            stt_model=self.config.stt_model,
            price_table=self.config.price_table,
        )
        self.llm_conn_options = APIConnectOptions(max_retry=1, retry_interval=0.5)
        self.address = address_pattern(self.config.wake_words)
        started = self.context.started_at
        self.transcriber = MeetingTranscriber(
            stt_engine=self.stt,
            on_transcript=self.on_transcript,
            on_interim=self.on_interim,
            on_error=self._on_stt_error,
            on_audio=self.usage.add_audio,
            room_started_at=started.timestamp() if started else None,
            restart_limit=self.config.stt_restart_limit,
            restart_delay_seconds=self.config.stt_restart_delay_seconds,
            drain_seconds=self.config.stt_drain_seconds,
        )

    # Lifecycle

    async def start(self) -> Registration:
        """Registers the agent in the database, builds its collaborators and starts the usage flush."""
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
        self.services = MeetingServices(
            instructions=self.instructions,
            llm=self.llm,
            llm_conn_options=self.llm_conn_options,
            usage=self.usage,
            events=self.events,
            room=self.gateway,
            knowledge=self.knowledge,
            kb_results=self.config.kb_results,
        )
        self.answerer = QuestionAnswerer(self.services)
        humans = self.humans  # the advisor sees who is present, not the meeting
        self.advisor = SuggestionAdvisor(
            self.services, self.config, lambda: [h for h in humans.values() if h.is_professional]
        )
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
        try:
            await self.store.run(
                lambda db: unregister_agent(
                    db=db, room_id=self.context.room_id, registration=registration, reason=reason
                )
            )
        finally:
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

    async def confirmed(self, human: Human | None) -> Human | None:
        """The human with the type and organizer flag the database holds for this room; None when they
        are not one of its participants."""
        if human is None:
            return None
        roles = await self.store.run(
            lambda db: participant_roles(
                db=db, room_id=self.context.room_id, participant_ids=[human.participant_id]
            )
        )
        role = roles.get(human.participant_id)
        if role is None or role.type == ParticipantType.AGENT:
            return None
        return replace(human, type=role.type, is_organizer=role.is_organizer)

    def participant_joined(self, human: Human, audio=None, *, track_sid: str = "") -> None:
        """Tracks a human (a rejoin replaces their earlier join); with audio, transcribes that track."""
        self.humans[human.identity] = human
        if audio is not None:
            self.transcriber.add(human, audio, track_sid=track_sid)

    def participant_left(self, identity: str, *, sid: str | None = None) -> asyncio.Task | None:
        """Forgets a human now (unless they already rejoined: `sid` names the join that left) and lets
        their streams transcribe their last words in the background."""
        current = self.humans.get(identity)
        if current is not None and (sid is None or current.sid == sid):
            del self.humans[identity]
            self._addressed.pop(identity, None)
        task = asyncio.create_task(self.transcriber.remove(identity, sid=sid))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def consent_withdrawn(self, identity: str) -> None:
        """Forgets a human who withdrew consent to the assistant and stops hearing them at once: nothing
        they say from now on is transcribed, captioned, answered or stored."""
        self.humans.pop(identity, None)
        self._addressed.pop(identity, None)
        closing = self.transcriber.cut(identity)
        self._background.add(closing)
        closing.add_done_callback(self._background.discard)

    def professionals(self) -> list[Human]:
        return [h for h in self.humans.values() if h.is_professional]

    async def say_to(
        self, human: Human, text: str, *, topic: str, attributes: dict[str, str] | None = None
    ) -> None:
        """Sends text to one participant only."""
        await self.services.say_to(human, text, topic=topic, attributes=attributes)

    # What the agent hears

    async def on_chat_message(self, identity: str, text: str, *, addressed: bool = False) -> None:
        """A chat message: answered to its sender when it is a question to the assistant."""
        asker = self.humans.get(identity)
        if asker is None or self.closed:
            return
        question = text.strip() if addressed else addressed_question(self.address, text)
        if question:
            self._spawn(self.answerer.answer(asker, question, channel="chat"))

    async def on_interim(self, caption: Caption) -> None:
        """Shows the words of someone still speaking."""
        await self._publish_caption(caption.human, caption.track_sid, caption.segment_id, caption.text, False)

    async def on_transcript(self, transcript: Transcript) -> None:
        """Publishes, logs and reacts to one participant's final transcript."""
        human = transcript.human
        self.usage.transcriptions += 1
        await self._publish_caption(human, transcript.track_sid, transcript.segment_id, transcript.text, True)
        await self.events.record(
            AgentEventName.TRANSCRIPTION_PROCESSED,
            participant_id=human.participant_id,
            content=transcript.text,
            metadata={
                "speaker_identity": human.identity,
                "speaker_type": human.type.value,
                "track_sid": transcript.track_sid,
                "segment_id": transcript.segment_id,
                "start_seconds": transcript.start_seconds,
                "end_seconds": transcript.end_seconds,
                "duration_seconds": round(transcript.end_seconds - transcript.start_seconds, 3),
                "language": transcript.language,
                "confidence": transcript.confidence,
                "received_at": transcript.received_at,
            },
            segment={
                "participant_id": human.participant_id,
                "speaker_name": human.name or human.type.value.title(),
                "speaker_type": human.type,
                "start_seconds": transcript.start_seconds,
                "end_seconds": transcript.end_seconds,
                "text": transcript.text,
                "language": transcript.language or None,
                "confidence": transcript.confidence,
            },
        )
        if self.closed:
            return
        question = self._spoken_question(human.identity, transcript.text)
        if question:
            self._spawn(self.answerer.answer(human, question, channel="speech"))
        elif self.advisor.hear(human.name or human.type.value.lower(), transcript.text):
            self._spawn(self.advisor.suggest())

    def _spoken_question(self, identity: str, text: str) -> str | None:
        """The question in a segment: addressed in it, or following a segment that was only the address."""
        question = addressed_question(self.address, text)
        if question == "":
            self._addressed[identity] = time.monotonic()
            return None
        if question is not None:
            self._addressed.pop(identity, None)
            return question
        addressed_at = self._addressed.pop(identity, None)
        if addressed_at is not None and time.monotonic() - addressed_at <= self.config.question_join_seconds:
            return text
        return None

    async def _publish_caption(self, human: Human, track_sid: str, segment_id: str, text: str, final: bool):
        try:
            await self.gateway.send_text(
                text,
                topic=TRANSCRIPTION_TOPIC,
                attributes=caption_attributes(track_sid=track_sid, segment_id=segment_id, final=final),
                sender_identity=human.identity,
            )
        except Exception as exc:
            await self.events.error("room", exc, participant_id=human.participant_id)

    async def _on_stt_error(self, human: Human, exc: BaseException) -> None:
        await self.events.error("stt", exc, participant_id=human.participant_id)

    # Knowledge

    async def retrieve(self, query: str, *, participant_id: int | None, purpose: str):
        return await self.services.retrieve(query, participant_id=participant_id, purpose=purpose)
