"""Test doubles for the LLM only: a queued fake chat model and a fake OpenAI-compatible HTTP server."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult


class QueuedChatModel(BaseChatModel):
    """Replies with queued strings (or raises queued exceptions) and records every prompt it was sent.

    Streamed replies come word by word, ``delay`` seconds apart; ``sent`` records the words actually produced (a
    caller that stops reading early leaves the rest unsent) and ``calls`` the request options (stop, max_tokens).
    """

    responses: list[Any] = []  # noqa: RUF012 - pydantic copies field defaults per instance
    history: list[list[BaseMessage]] = []  # noqa: RUF012
    calls: list[dict[str, Any]] = []  # noqa: RUF012
    sent: list[str] = []  # noqa: RUF012
    delay: float = 0.0

    def enqueue(self, *items: str | BaseException) -> QueuedChatModel:
        self.responses.extend(items)
        return self

    @property
    def _llm_type(self) -> str:
        return "queued-fake"

    def _next(self, messages: list[BaseMessage], stop: Any, kw: dict[str, Any]) -> str:
        self.history.append(list(messages))
        self.calls.append({"stop": stop, **kw})
        item = self.responses.pop(0) if self.responses else "(no reply queued)"
        if isinstance(item, BaseException):
            raise item
        return str(item)

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self._next(messages, stop, kw)))])

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> Iterator[ChatGenerationChunk]:
        text = self._next(messages, stop, kw)
        for piece in re.findall(r"\S+\s*|\s+", text) or [""]:  # an empty reply is one empty chunk, as servers send
            if self.delay:
                time.sleep(self.delay)
            self.sent.append(piece)
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))


class ScriptedChatModel(BaseChatModel):
    """Replies with ``script(prompt)`` (the last message's text): a different reply for each kind of prompt."""

    script: Any = None
    prompts: list[str] = []  # noqa: RUF012

    @property
    def _llm_type(self) -> str:
        return "scripted-fake"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        prompt = str(messages[-1].content)
        self.prompts.append(prompt)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self.script(prompt)))])


class FakeOpenAI:
    """An OpenAI-compatible /v1/chat/completions server on 127.0.0.1 serving queued replies.

    Queue items: a string (a normal reply), ``("status", code)``, ``("sleep", seconds)``, ``("raw", body)`` or
    ``("slow", text, seconds)`` (streamed a word at a time, that many seconds apart).
    """

    def __init__(self) -> None:
        self.queue: list[Any] = []
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                item = fake.queue.pop(0) if fake.queue else "(no reply queued)"
                if isinstance(item, tuple) and item[0] == "sleep":
                    time.sleep(item[1])
                    item = "too late"
                if isinstance(item, tuple) and item[0] == "slow":  # ("slow", text, seconds between words)
                    self._stream(item[1], body.get("model", "fake"), item[2])
                    return
                if isinstance(item, tuple) and item[0] == "status":
                    self._send(item[1], {"error": {"message": f"fake error {item[1]}", "type": "server_error"}})
                    return
                if isinstance(item, tuple) and item[0] == "raw":
                    self._raw(200, item[1].encode(), "application/json")
                    return
                if body.get("stream"):
                    self._stream(str(item), body.get("model", "fake"))
                else:
                    self._send(200, _completion(str(item), body.get("model", "fake")))

            def _send(self, code: int, payload: dict[str, Any]) -> None:
                self._raw(code, json.dumps(payload).encode(), "application/json")

            def _raw(self, code: int, data: bytes, ctype: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, text: str, model: str, pause: float = 0.0) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                words = text.split(" ")
                for i, word in enumerate(words):
                    if pause:
                        time.sleep(pause)
                    delta = {"role": "assistant", "content": word + (" " if i < len(words) - 1 else "")}
                    chunk = {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": model,
                        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                    }
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                end = {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": model,
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                }
                self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())

            def log_message(self, *args: object) -> None:
                pass

        class QuietServer(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that gave up (a timeout test) is expected

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    @contextmanager
    def running(self) -> Iterator[FakeOpenAI]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


def _completion(text: str, model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
