"""Stand-ins for the room, the LLM and the speech recognizer: scripted, deterministic, offline."""

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from livekit import rtc
from livekit.agents import APIConnectionError, APIConnectOptions, llm, stt
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN

SAMPLE_RATE = 16000
FRAME_MS = 100
STT_FAILURE_CODE = -1


@dataclass(frozen=True)
class Sent:
    text: str
    topic: str
    destination_identities: list[str] | None
    attributes: dict[str, str] | None
    sender_identity: str | None = None


@dataclass
class FakeRoomGateway:
    """Collects what the agent sends into the room."""

    sent: list[Sent] = field(default_factory=list)

    async def send_text(
        self, text, *, topic, destination_identities=None, attributes=None, sender_identity=None
    ) -> None:
        self.sent.append(
            Sent(
                text,
                topic,
                list(destination_identities) if destination_identities else None,
                attributes,
                sender_identity,
            )
        )

    def on(self, topic: str) -> list[Sent]:
        return [s for s in self.sent if s.topic == topic]


# The LLM


@dataclass
class Reply:
    text: str
    prompt_tokens: int
    completion_tokens: int


@dataclass
class CallTool:
    """A scripted step in which the model calls a tool instead of answering."""

    name: str
    arguments: dict
    prompt_tokens: int
    completion_tokens: int


class ScriptedLLM(llm.LLM):
    """Answers with the next scripted reply (a `Reply`, a `CallTool`, an exception to raise, or a function of the
    request's (system, context) text, see `request_text`); keeps every request for inspection."""

    def __init__(self, replies: list | Callable[[str, str], Reply | Exception]):
        super().__init__()
        self.replies = replies if callable(replies) else list(replies)
        self.requests: list[tuple[str, str]] = []
        self.counter = itertools.count(1)

    @property
    def model(self) -> str:
        return "scripted"

    def next_reply(self, system: str, user: str):
        self.requests.append((system, user))
        if callable(self.replies):
            return self.replies(system, user)
        return self.replies.pop(0)

    def chat(
        self, *, chat_ctx, tools=None, conn_options=DEFAULT_API_CONNECT_OPTIONS, **_
    ) -> "ScriptedStream":
        return ScriptedStream(self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options)


def request_text(chat_ctx: llm.ChatContext) -> tuple[str, str]:
    """What a model reads in a request: the system text, and the rest of the context (user messages
    and tool outputs, such as knowledge-base excerpts), in order."""
    system, context = [], []
    for item in chat_ctx.items:
        if item.type == "message" and item.role in ("system", "developer"):
            system.append(item.text_content or "")
        elif item.type == "message" and item.role == "user":
            context.append(item.text_content or "")
        elif item.type == "function_call_output":
            context.append(item.output)
    return "\n".join(system), "\n".join(context)


class ScriptedStream(llm.LLMStream):
    async def _run(self) -> None:
        system, user = request_text(self.chat_ctx)
        reply = self._llm.next_reply(system, user)
        if isinstance(reply, Exception):
            raise reply
        request_id = f"req-{next(self._llm.counter)}"
        if isinstance(reply, CallTool):
            call = llm.FunctionToolCall(
                name=reply.name, arguments=json.dumps(reply.arguments), call_id=f"call-{request_id}"
            )
            self._event_ch.send_nowait(
                llm.ChatChunk(id=request_id, delta=llm.ChoiceDelta(role="assistant", tool_calls=[call]))
            )
        else:
            for word in reply.text.split(" "):
                self._event_ch.send_nowait(
                    llm.ChatChunk(id=request_id, delta=llm.ChoiceDelta(role="assistant", content=word + " "))
                )
        self._event_ch.send_nowait(
            llm.ChatChunk(
                id=request_id,
                usage=llm.CompletionUsage(
                    completion_tokens=reply.completion_tokens,
                    prompt_tokens=reply.prompt_tokens,
                    total_tokens=reply.prompt_tokens + reply.completion_tokens,
                ),
            )
        )


def llm_failure() -> APIConnectionError:
    return APIConnectionError("the language model is unreachable", retryable=False)


# Speech


class CodedSpeechSTT(stt.STT):
    """A recognizer for coded test audio: each run of frames whose samples equal a phrase code is
    one utterance of that phrase; silence (zeros) ends it; code -1 makes the stream fail."""

    def __init__(self, phrases: dict[int, str]):
        super().__init__(capabilities=stt.STTCapabilities(streaming=True, interim_results=False))
        self.phrases = phrases
        self.streams_opened = 0

    async def _recognize_impl(self, buffer, *, language=NOT_GIVEN, conn_options):
        raise NotImplementedError

    def stream(self, *, language=NOT_GIVEN, conn_options=DEFAULT_API_CONNECT_OPTIONS) -> "CodedSpeechStream":
        self.streams_opened += 1
        return CodedSpeechStream(stt=self, conn_options=APIConnectOptions(max_retry=0))


class CodedSpeechStream(stt.RecognizeStream):
    async def _run(self) -> None:
        position = 0.0
        current: int | None = None
        started = 0.0
        async for item in self._input_ch:
            if isinstance(item, self._FlushSentinel):
                if current is not None:
                    self._emit(current, started, position)
                    current = None
                continue
            code = int(np.frombuffer(item.data, dtype=np.int16)[0])
            if code == STT_FAILURE_CODE:
                raise APIConnectionError("speech service dropped the stream", retryable=False)
            if code != 0 and current is None:
                current, started = code, position
            elif code == 0 and current is not None:
                self._emit(current, started, position)
                current = None
            position += item.samples_per_channel / item.sample_rate

    def _emit(self, code: int, start: float, end: float) -> None:
        self._event_ch.send_nowait(
            stt.SpeechEvent(
                type=stt.SpeechEventType.FINAL_TRANSCRIPT,
                alternatives=[
                    stt.SpeechData(
                        language="en",
                        text=self._stt.phrases[code],
                        start_time=start,
                        end_time=end,
                        confidence=0.9,
                    )
                ],
            )
        )


def frames(code: int, seconds: float, *, sample_rate: int = SAMPLE_RATE) -> list[rtc.AudioFrame]:
    """Coded audio: `seconds` of frames whose samples all equal `code` (0 is silence)."""
    count = round(seconds * 1000 / FRAME_MS)
    samples = sample_rate * FRAME_MS // 1000
    result = []
    for _ in range(count):
        frame = rtc.AudioFrame.create(sample_rate, 1, samples)
        np.frombuffer(frame.data, dtype=np.int16)[:] = code
        result.append(frame)
    return result


class AudioFeed:
    """A participant's microphone: frames are pushed by the test and read by the agent."""

    def __init__(self):
        self.queue: asyncio.Queue = asyncio.Queue()

    def say(self, code: int, seconds: float = 1.0, pause: float = 0.3) -> None:
        for frame in frames(code, seconds) + frames(0, pause):
            self.queue.put_nowait(frame)

    def hang_up(self) -> None:
        self.queue.put_nowait(None)

    async def drained(self) -> None:
        while not self.queue.empty():
            await asyncio.sleep(0.01)

    def __aiter__(self):
        return self

    async def __anext__(self) -> rtc.AudioFrame:
        frame = await self.queue.get()
        if frame is None:
            raise StopAsyncIteration
        return frame


class PacedFeed:
    """A microphone that plays a script of (code, seconds) at the pace of real audio, then ends."""

    def __init__(self, script: list[tuple[int, float]], *, sample_rate: int = 24000):
        self.frames = [f for code, seconds in script for f in frames(code, seconds, sample_rate=sample_rate)]
        self.ended = asyncio.Event()

    async def __aiter__(self):
        for frame in self.frames:
            await asyncio.sleep(frame.samples_per_channel / frame.sample_rate)
            yield frame
        self.ended.set()
