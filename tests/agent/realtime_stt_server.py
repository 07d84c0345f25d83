"""A local stand-in for OpenAI's realtime transcription endpoint (`GET /v1/realtime?intent=transcription`,
a websocket), speaking the protocol the real `livekit-plugins-openai` STT speaks.

It reads `session.update` and `input_audio_buffer.append` (base64 PCM16, 24 kHz mono) and answers as the
service does with server-side turn detection: `input_audio_buffer.speech_started` when coded speech
begins, `input_audio_buffer.speech_stopped` after `silence_duration_ms` of silence, then a
`conversation.item.input_audio_transcription.delta` and `...completed` whose transcript carries text
only (no timings, no confidence). The socket stays open until the client closes it, as the real one does.

Coded audio (see `tests.agent.fakes.frames`): samples equal to a phrase code are that phrase being
spoken; zeros are silence.
"""

import base64
import itertools
import json
from dataclasses import dataclass, field

import numpy as np
from aiohttp import WSMsgType, web

SAMPLE_RATE = 24000


@dataclass
class RealtimeTranscriptionStandIn:
    phrases: dict[int, str]
    silence_ms: int = 350
    sessions: int = 0
    received: list[dict] = field(default_factory=list)  # every client message but the audio
    sent: list[dict] = field(default_factory=list)
    audio_ms: float = 0.0
    _ids = itertools.count(1)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sessions += 1
        position_ms = 0.0  # audio received on this socket
        speaking: int | None = None
        item_id = ""
        silent_ms = 0.0

        async def send(event: dict) -> None:
            self.sent.append(event)
            await ws.send_json(event)

        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            event = json.loads(message.data)
            if event.get("type") != "input_audio_buffer.append":
                self.received.append(event)
                self._configure(event)
                continue
            samples = np.frombuffer(base64.b64decode(event["audio"]), dtype=np.int16)
            chunk_ms = len(samples) * 1000 / SAMPLE_RATE
            code = int(np.median(samples)) if len(samples) else 0
            if code != 0 and speaking is None:
                speaking, item_id, silent_ms = code, f"item_{next(self._ids)}", 0.0
                await send(
                    {
                        "type": "input_audio_buffer.speech_started",
                        "item_id": item_id,
                        "audio_start_ms": position_ms,
                    }
                )
            elif code == 0 and speaking is not None:
                silent_ms += chunk_ms
                if silent_ms >= self.silence_ms:
                    text = self.phrases[speaking]
                    speaking = None
                    await send(
                        {
                            "type": "input_audio_buffer.speech_stopped",
                            "item_id": item_id,
                            "audio_end_ms": position_ms + chunk_ms,
                        }
                    )
                    await send(
                        {
                            "type": "conversation.item.input_audio_transcription.delta",
                            "item_id": item_id,
                            "delta": text.split(" ")[0],
                        }
                    )
                    await send(
                        {
                            "type": "conversation.item.input_audio_transcription.completed",
                            "item_id": item_id,
                            "transcript": text,
                            "usage": {"type": "tokens", "input_tokens": 12, "output_tokens": 4},
                        }
                    )
            elif code != 0:
                silent_ms = 0.0
            position_ms += chunk_ms
            self.audio_ms += chunk_ms
        return ws

    def _configure(self, event: dict) -> None:
        if event.get("type") == "session.update":
            detection = event.get("session", {}).get("audio", {}).get("input", {}).get("turn_detection") or {}
            self.silence_ms = detection.get("silence_duration_ms", self.silence_ms)


async def start_stand_in(stand_in: RealtimeTranscriptionStandIn) -> tuple[str, web.AppRunner]:
    """Serves the stand-in on 127.0.0.1; returns the base URL to give the plugin (`.../v1`)."""
    app = web.Application()
    app.router.add_get("/v1/realtime", stand_in.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return f"http://127.0.0.1:{port}/v1", runner
