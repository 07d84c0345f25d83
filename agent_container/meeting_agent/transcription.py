"""One STT stream per audio track of each human participant, started and stopped as tracks come and go.

Timing. A realtime recognizer reports when speech starts and stops and then the final text, without
timings; so each track has an `AudioClock` (seconds since the room started, advanced by the audio
sent and re-anchored to the wall clock after a gap, such as a muted microphone), and a segment runs
from the clock's position at the start-of-speech event to its position at the end-of-speech event.
An engine that aligns its transcripts (start and end times in the stream) is used as is. Confidence
is None when the engine gives none.

Endings. When a track ends, a second of silence is sent after the last audio so the recognizer's
turn detection closes the utterance still open, and the stream is kept until that last final
transcript arrives (or `drain_seconds` pass): the recognizer's socket stays open by itself, so
waiting for the stream to end would wait forever.

Restarts. A failed stream is reported and restarted after `restart_delay_seconds`; a stream that
delivered a transcript proves the recognizer works again, so the count of failures in a row resets.
"""

import asyncio
import time
import uuid
from collections import deque
from collections.abc import AsyncIterable, Awaitable, Callable
from dataclasses import dataclass

import numpy as np
from livekit import rtc
from livekit.agents import stt

from meetings.log import logger
from meetings.secretary.transcripts.models import MAX_SEGMENT_CHARACTERS

from .room_gateway import Human

SILENCE_TAIL_SECONDS = 1.0
DRAIN_SECONDS = 5.0
GAP_SECONDS = 0.5  # audio resuming later than this after the clock re-anchors to the wall clock


@dataclass(frozen=True)
class Caption:
    """A participant's words, interim (still being spoken) or final, on one of their tracks."""

    human: Human
    track_sid: str
    segment_id: str
    text: str
    final: bool


@dataclass(frozen=True)
class Transcript:
    """A final transcript of one participant's speech, timed from the start of the room."""

    human: Human
    track_sid: str
    segment_id: str
    text: str
    start_seconds: float
    end_seconds: float
    language: str
    confidence: float | None
    received_at: float  # wall clock


class AudioClock:
    """Where one track's audio is, in seconds since the room started."""

    def __init__(self, room_started_at: float, now: Callable[[], float] = time.time):
        self.room_started_at = room_started_at
        self.now = now
        self.position: float | None = None

    def advance(self, seconds: float) -> float:
        """Accounts for `seconds` of audio just received; returns the position where it started."""
        began = max(0.0, self.now() - self.room_started_at - seconds)
        if self.position is None or began > self.position + GAP_SECONDS:
            self.position = began
        start = self.position
        self.position += seconds
        return start

    def current(self) -> float:
        return self.position if self.position is not None else max(0.0, self.now() - self.room_started_at)


def silence_like(frame: rtc.AudioFrame, seconds: float) -> list[rtc.AudioFrame]:
    """Silent frames in the format of `frame`, `seconds` long in all."""
    per_frame = frame.samples_per_channel
    count = max(1, round(seconds * frame.sample_rate / per_frame))
    silent = []
    for _ in range(count):
        out = rtc.AudioFrame.create(frame.sample_rate, frame.num_channels, per_frame)
        np.frombuffer(out.data, dtype=np.int16)[:] = 0
        silent.append(out)
    return silent


class _SegmentTimes:
    """Start and end of the utterances a stream reported, matched to its final transcripts in order."""

    def __init__(self, clock: AudioClock):
        self.clock = clock
        self.started: float | None = None
        self.ended: deque[tuple[float, float]] = deque()
        self._final_since_usage = False

    @property
    def settled(self) -> bool:
        """No utterance open or waiting for its transcript."""
        return self.started is None and not self.ended

    def on_event(self, event_type: stt.SpeechEventType) -> None:
        if event_type == stt.SpeechEventType.START_OF_SPEECH:
            self.started = self.clock.current()
        elif event_type == stt.SpeechEventType.END_OF_SPEECH:
            now = self.clock.current()
            self.ended.append((now if self.started is None else self.started, now))
            self.started = None
        elif event_type == stt.SpeechEventType.RECOGNITION_USAGE:
            # The realtime STT reports usage once per completed utterance, after its final transcript
            # when it had words. An utterance completed without one (a cough, noise) would otherwise leave
            # its times queued, and every later transcript of the track would take its predecessor's.
            if not self._final_since_usage and self.ended:
                self.ended.popleft()
            self._final_since_usage = False

    def take(self) -> tuple[float, float]:
        self._final_since_usage = True
        if self.ended:
            return self.ended.popleft()
        now = self.clock.current()
        start, self.started = (now if self.started is None else self.started), None
        return start, now


class MeetingTranscriber:
    """Keeps one recognition stream per (participant, track) and delivers their captions and transcripts."""

    def __init__(
        self,
        *,
        stt_engine: stt.STT,
        on_transcript: Callable[[Transcript], Awaitable[None]],
        on_error: Callable[[Human, BaseException], Awaitable[None]],
        on_audio: Callable[[float], None],
        on_interim: Callable[[Caption], Awaitable[None]] | None = None,
        room_started_at: float | None = None,
        restart_limit: int = 5,
        restart_delay_seconds: float = 1.0,
        drain_seconds: float = DRAIN_SECONDS,
        now: Callable[[], float] = time.time,
    ):
        self.stt = stt_engine
        self.on_transcript = on_transcript
        self.on_interim = on_interim
        self.on_error = on_error
        self.on_audio = on_audio
        self.now = now
        self.room_started_at = now() if room_started_at is None else room_started_at
        self.restart_limit = restart_limit
        self.restart_delay_seconds = restart_delay_seconds
        self.drain_seconds = drain_seconds
        self._tasks: dict[tuple[str, str], tuple[Human, asyncio.Task]] = {}

    @property
    def identities(self) -> set[str]:
        return {identity for identity, _ in self._tasks}

    def tracks_of(self, identity: str) -> set[str]:
        return {track for who, track in self._tasks if who == identity}

    def add(self, human: Human, audio: AsyncIterable[rtc.AudioFrame], *, track_sid: str = "") -> asyncio.Task:
        """Starts transcribing one track of a participant (replacing an earlier stream of that track)."""
        key = (human.identity, track_sid)
        previous = self._tasks.pop(key, None)
        if previous is not None:
            previous[1].cancel()
        task = asyncio.create_task(self._transcribe(human, track_sid, audio), name=f"stt-{human.identity}")
        self._tasks[key] = (human, task)
        task.add_done_callback(
            lambda t: self._tasks.pop(key, None) if self._tasks.get(key, (None, None))[1] is t else None
        )
        return task

    async def remove(self, identity: str, *, sid: str | None = None) -> None:
        """Stops transcribing a participant who left (only the streams of that join when `sid` is given),
        once their last words are transcribed or `drain_seconds` have passed."""
        await self._drain(self._forget(identity, sid=sid))

    def cut(self, identity: str) -> asyncio.Future:
        """Stops transcribing a participant at once, dropping what they were still saying: their consent
        was withdrawn, and they are still connected, so a drain would go on hearing them. Returns what
        completes when their streams are closed."""
        tasks = self._forget(identity, sid=None)
        for task in tasks:
            task.cancel()
        return asyncio.gather(*tasks, return_exceptions=True)

    def _forget(self, identity: str, *, sid: str | None) -> list[asyncio.Task]:
        leaving = [
            (key, task)
            for key, (human, task) in list(self._tasks.items())
            if key[0] == identity and (sid is None or human.sid == sid)
        ]
        for key, _ in leaving:
            self._tasks.pop(key, None)
        return [task for _, task in leaving]

    async def finished(self, identity: str) -> None:
        """Waits until a participant's audio has ended and all of it has been transcribed."""
        tasks = [task for (who, _), (_, task) in list(self._tasks.items()) if who == identity]
        await asyncio.gather(*tasks, return_exceptions=True)

    async def aclose(self) -> None:
        """Lets every stream transcribe what it has heard (within `drain_seconds`), then stops it."""
        tasks = [task for _, task in self._tasks.values()]
        self._tasks.clear()
        await self._drain(tasks)

    async def _drain(self, tasks: list[asyncio.Task]) -> None:
        """Lets the streams finish for up to `drain_seconds`, then cancels what still runs."""
        if not tasks:
            return
        _, still_running = await asyncio.wait(tasks, timeout=self.drain_seconds)
        for task in still_running:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _transcribe(self, human: Human, track_sid: str, audio: AsyncIterable[rtc.AudioFrame]) -> None:
        frames = aiter(audio)
        clock = AudioClock(self.room_started_at, self.now)
        next_frame: asyncio.Future | None = None  # survives a stream restart, so no frame is lost
        failures = 0
        while True:
            stream = self.stt.stream()
            times = _SegmentTimes(clock)
            delivered = asyncio.Event()
            reader = asyncio.create_task(self._read(human, track_sid, stream, clock, times, delivered))
            last_frame: rtc.AudioFrame | None = None
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
                        await self._finish(stream, reader, times, clock, last_frame)
                        return
                    if delivered.is_set():  # the recognizer works again
                        failures = 0
                        delivered.clear()
                    stream.push_frame(frame)
                    seconds = frame.samples_per_channel / frame.sample_rate
                    clock.advance(seconds)
                    self.on_audio(seconds)
                    last_frame = frame
            except asyncio.CancelledError:
                reader.cancel()
                if next_frame is not None:
                    next_frame.cancel()
                raise
            except Exception as exc:
                reader.cancel()
                failures = 1 if delivered.is_set() else failures + 1
                delivered.clear()
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

    async def _finish(
        self,
        stream: stt.RecognizeStream,
        reader: asyncio.Task,
        times: "_SegmentTimes",
        clock: AudioClock,
        last_frame: rtc.AudioFrame | None,
    ) -> None:
        """The track ended: closes the open utterance with silence and waits for its transcript."""
        if last_frame is not None:
            for silent in silence_like(last_frame, SILENCE_TAIL_SECONDS):
                stream.push_frame(silent)
        stream.end_input()
        deadline = time.monotonic() + self.drain_seconds
        # the recognizer's events lag the audio: give it the tail's length before trusting `settled`
        await asyncio.wait({reader}, timeout=min(SILENCE_TAIL_SECONDS, self.drain_seconds))
        while not reader.done() and not times.settled and time.monotonic() < deadline:
            await asyncio.wait({reader}, timeout=0.05)
        if reader.done():
            reader.result()
        else:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)

    async def _read(
        self,
        human: Human,
        track_sid: str,
        stream: stt.RecognizeStream,
        clock: AudioClock,
        times: "_SegmentTimes",
        delivered: asyncio.Event,
    ) -> None:
        stream_origin = clock.current()
        interim_segment: str | None = None
        async for event in stream:
            times.on_event(event.type)
            if event.type == stt.SpeechEventType.INTERIM_TRANSCRIPT and event.alternatives:
                text = event.alternatives[0].text.strip()
                interim_segment = interim_segment or segment_id(track_sid, event.request_id)
                if text and self.on_interim is not None:
                    await self.on_interim(Caption(human, track_sid, interim_segment, text, final=False))
                continue
            if event.type != stt.SpeechEventType.FINAL_TRANSCRIPT or not event.alternatives:
                continue
            best = event.alternatives[0]
            seg, interim_segment = interim_segment or segment_id(track_sid, event.request_id), None
            start, end = times.take()
            if best.end_time > best.start_time:  # an engine that aligns its transcripts
                start, end = stream_origin + best.start_time, stream_origin + best.end_time
            if not best.text.strip():
                continue
            delivered.set()
            pieces = spoken_pieces(best.text.strip(), start, max(end, start))
            for number, (text, piece_start, piece_end) in enumerate(pieces):
                await self.on_transcript(
                    Transcript(
                        human=human,
                        track_sid=track_sid,
                        segment_id=seg if number == 0 else f"{seg}-{number}",
                        text=text,
                        start_seconds=round(piece_start, 3),
                        end_seconds=round(piece_end, 3),
                        language=str(best.language or ""),
                        confidence=min(max(float(best.confidence), 0.0), 1.0) if best.confidence else None,
                        received_at=time.time(),
                    )
                )


def spoken_pieces(text: str, start: float, end: float, limit: int = MAX_SEGMENT_CHARACTERS) -> list:
    """An utterance cut at spaces into pieces a transcript segment can hold (its CHECK on the text's
    length), each timed by its share of the characters: [(text, start, end)]. One piece, as it came,
    when it fits."""
    pieces, rest = [], text
    while len(rest) > limit:
        cut = rest.rfind(" ", 0, limit + 1)
        cut = cut if cut > 0 else limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    pieces.append(rest)
    total, done, timed = sum(len(piece) for piece in pieces), 0, []
    for piece in pieces:
        begins = start + (end - start) * done / total
        done += len(piece)
        timed.append((piece, begins, start + (end - start) * done / total))
    return timed


def segment_id(track_sid: str, request_id: str) -> str:
    """A caption segment's id: the recognizer's item when it names one, so interim and final updates of
    one utterance share it."""
    if request_id:
        return f"SG_{uuid.uuid5(uuid.NAMESPACE_URL, f'{track_sid}/{request_id}').hex[:12]}"
    return f"SG_{uuid.uuid4().hex[:12]}"
