"""One STT stream per human participant, started and stopped as they come and go; each final
transcript is handed on with its speaker and timing. A failed stream is reported and restarted."""

import asyncio
import time
from collections.abc import AsyncIterable, Awaitable, Callable
from dataclasses import dataclass

from livekit import rtc
from livekit.agents import stt

from meetings.log import logger

from .room_gateway import Human


@dataclass(frozen=True)
class Transcript:
    """A final transcript of one participant's speech."""

    human: Human
    text: str
    start_seconds: float  # from the start of this participant's audio in the meeting
    end_seconds: float
    language: str
    confidence: float
    received_at: float  # wall clock


class MeetingTranscriber:
    """Keeps one recognition stream per participant and delivers their final transcripts."""

    def __init__(
        self,
        *,
        stt_engine: stt.STT,
        on_transcript: Callable[[Transcript], Awaitable[None]],
        on_error: Callable[[Human, BaseException], Awaitable[None]],
        on_audio: Callable[[float], None],
        restart_limit: int = 5,
        restart_delay_seconds: float = 1.0,
    ):
        self.stt = stt_engine
        self.on_transcript = on_transcript
        self.on_error = on_error
        self.on_audio = on_audio
        self.restart_limit = restart_limit
        self.restart_delay_seconds = restart_delay_seconds
        self._tasks: dict[str, asyncio.Task] = {}

    @property
    def identities(self) -> set[str]:
        return set(self._tasks)

    def add(self, human: Human, audio: AsyncIterable[rtc.AudioFrame]) -> asyncio.Task:
        """Starts transcribing a participant (replacing their previous stream, if any)."""
        previous = self._tasks.pop(human.identity, None)
        if previous is not None:
            previous.cancel()
        task = asyncio.create_task(self._transcribe(human, audio), name=f"stt-{human.identity}")
        self._tasks[human.identity] = task
        task.add_done_callback(
            lambda t: self._tasks.pop(human.identity, None) if self._tasks.get(human.identity) is t else None
        )
        return task

    async def remove(self, identity: str) -> None:
        """Stops transcribing a participant who left."""
        task = self._tasks.pop(identity, None)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def finished(self, identity: str) -> None:
        """Waits until a participant's audio has ended and all of it has been transcribed."""
        task = self._tasks.get(identity)
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)

    async def aclose(self) -> None:
        for identity in list(self._tasks):
            await self.remove(identity)

    async def _transcribe(self, human: Human, audio: AsyncIterable[rtc.AudioFrame]) -> None:
        frames = aiter(audio)
        next_frame: asyncio.Future | None = None  # survives a stream restart, so no frame is lost
        offset = 0.0  # seconds of this participant's audio already sent to earlier streams
        failures = 0
        while True:
            stream = self.stt.stream()
            reader = asyncio.create_task(self._read(human, stream, offset))
            try:
                while True:
                    if next_frame is None:
                        next_frame = asyncio.ensure_future(anext(frames, None))
                    await asyncio.wait({next_frame, reader}, return_when=asyncio.FIRST_COMPLETED)
                    if reader.done():
                        reader.result()
                        raise RuntimeError("speech recognition stream closed unexpectedly")
                    frame, next_frame = next_frame.result(), None
                    if frame is None:
                        stream.end_input()
                        await reader
                        return
                    stream.push_frame(frame)
                    seconds = frame.samples_per_channel / frame.sample_rate
                    offset += seconds
                    self.on_audio(seconds)
            except asyncio.CancelledError:
                reader.cancel()
                if next_frame is not None:
                    next_frame.cancel()
                raise
            except Exception as exc:
                reader.cancel()
                failures += 1
                await self.on_error(human, exc)
                if failures > self.restart_limit:
                    logger.error(
                        "speech recognition gave up for a participant", extra={"identity": human.identity}
                    )
                    if next_frame is not None:
                        next_frame.cancel()
                    return
                await asyncio.sleep(self.restart_delay_seconds)
            finally:
                await stream.aclose()

    async def _read(self, human: Human, stream: stt.RecognizeStream, offset: float) -> None:
        async for event in stream:
            if event.type != stt.SpeechEventType.FINAL_TRANSCRIPT or not event.alternatives:
                continue
            best = event.alternatives[0]
            if not best.text.strip():
                continue
            await self.on_transcript(
                Transcript(
                    human=human,
                    text=best.text.strip(),
                    start_seconds=round(offset + best.start_time, 3),
                    end_seconds=round(offset + best.end_time, 3),
                    language=str(best.language or ""),
                    confidence=float(best.confidence or 0.0),
                    received_at=time.time(),
                )
            )
