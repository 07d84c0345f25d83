"""A local OpenAI-compatible chat-completions server that answers from a script and keeps the requests
(tests and benchmarks of the note drafter).

Each scripted answer is a dict (sent as the message's JSON content), a str (sent as the content as it
is, e.g. malformed JSON) or an int (an HTTP error status). When the script runs out, the last answer
repeats.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PROMPT_TOKENS, COMPLETION_TOKENS = 1200, 150


class ScriptedChatServer:
    def __init__(self) -> None:
        self.script: list = []
        self.requests: list[dict] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> "ScriptedChatServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def next_answer(self):
        if len(self.script) > 1:
            return self.script.pop(0)
        return self.script[0]

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                answer = server.next_answer()
                if isinstance(answer, int):
                    self._send(answer, {"error": {"message": "scripted failure", "type": "server_error"}})
                    return
                content = answer if isinstance(answer, str) else json.dumps(answer)
                self._send(
                    200,
                    {
                        "id": "chatcmpl-local",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body["model"],
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": content},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {
                            "prompt_tokens": PROMPT_TOKENS,
                            "completion_tokens": COMPLETION_TOKENS,
                            "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
                        },
                    },
                )

            def _send(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
