"""The app's front door: answers within a second or two of ``python app.py``, while Gradio is still importing.

Importing Gradio and building the UI take most of the app's start (3-6 s on this project's 2-core machine). So the
server starts first, with this small ASGI app in front, and Gradio is imported and built in a background thread.
Until the UI is ready:

- ``GET /`` is a plain start page with a question box: its answers are the same ``ask()`` results, rendered by the
  same ``bot.render.answer_html`` as the chat (verbatim quotes, citations, digest labels, refusals); it offers the
  full app when it is ready;
- ``POST /api/ask`` with ``{"question": "..."}`` returns the answer as JSON (the shape of ``/ask`` in the Gradio API);
- ``GET /api/ready`` says whether the full UI is up (and why not, when building it failed);
- anything else gets ``503`` with ``Retry-After``: the app is starting.

Once the UI is mounted every other path goes to Gradio; ``/api/ask`` and ``/api/ready`` stay. With logins configured
(``BOT_AUTH``) the front is not used: every request goes through Gradio's login (``bot.ui.launch``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.errors import BotError, ConfigError
from bot.settings import Settings, get_settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OWN_PATHS = ("/api/ask", "/api/ready", "/start/answer")
"""Served by the front at all times; every other path (``/`` too) goes to Gradio once it is up."""
UI_WAIT = 10.0
"""Longest wait for the retrieval warm-up before the UI is built anyway (hand-set: a slow disk must not hold it)."""
SHUTDOWN_WAIT = 3
"""Seconds a stopping server waits for open connections (a browser's event stream never closes by itself)."""
MAX_BODY = 64 * 1024
"""Largest request body /api/ask reads (a question is a line; the question limit itself is BOT_MAX_QUERY_CHARS)."""


class Front:
    """An ASGI app: the start page and /api/ask now, Gradio's app for everything else once ``mount`` has run."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.ui: ASGIApp | None = None
        self.failed = ""
        """Why the UI could not be built, when it could not (shown by /api/ready and the start page)."""
        self.loop: asyncio.AbstractEventLoop | None = None
        self._ui_life: contextlib.AbstractAsyncContextManager[Any] | None = None
        self.stopping: Callable[[], bool] = lambda: False
        """Whether the server is shutting down (``serve`` sets it)."""
        self._own = Starlette(
            routes=[
                Route("/api/ask", self.api_ask, methods=["POST"]),
                Route("/api/ready", self.api_ready, methods=["GET"]),
                Route("/", self.start_page, methods=["GET"]),
                Route("/start/answer", self.start_answer, methods=["POST"]),
            ]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        path = scope.get("path", "")
        if self.ui is not None and path not in OWN_PATHS:
            try:
                await self.ui(scope, receive, send)
            except asyncio.CancelledError:
                if not self.stopping():  # a stopping server ends the UI's open event streams: not an error
                    raise
        elif scope["type"] == "http" and (path in OWN_PATHS or path == "/"):
            await self._own(scope, receive, send)
        elif scope["type"] == "http":
            await starting(scope, receive, send)
        # a websocket before the UI is up: closing it without accepting is the answer

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.loop = asyncio.get_running_loop()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._ui_life is not None:
                    with contextlib.suppress(Exception):
                        await self._ui_life.__aexit__(None, None, None)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def start_ui(self, app: Any) -> None:
        """Run the Gradio app's startup (its queue) and route every other path to it from now on."""
        life = app.router.lifespan_context(app)
        await life.__aenter__()
        self._ui_life = life
        self.ui = app

    def mount(self, build: Callable[[], Any]) -> None:
        """Build the UI (``build`` returns Gradio's ASGI app) and mount it; a failure is kept in ``failed``."""
        try:
            app = build()
            if self.loop is None:
                raise RuntimeError("the server is not running")
            asyncio.run_coroutine_threadsafe(self.start_ui(app), self.loop).result()
        except Exception as exc:  # shown by /api/ready and the start page; /api/ask keeps working
            self.failed = f"{type(exc).__name__}: {exc}"
            print(f"The full app could not be started: {self.failed}", file=sys.stderr)
            return
        from bot.warmup import note_served

        note_served()  # the start is over: the debate warm-up may begin

    # ---- the routes ----

    async def api_ready(self, request: Request) -> Response:
        return JSONResponse({"ui": self.ui is not None, "error": self.failed or None})

    async def api_ask(self, request: Request) -> Response:
        question, problem = await _question(request)
        if problem:
            return JSONResponse({"error": problem}, status_code=400)
        try:
            answer = await run_in_threadpool(_ask, question, self.settings)
        except BotError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        from bot.types import to_dict

        return JSONResponse(to_dict(answer))

    async def start_answer(self, request: Request) -> Response:
        question, problem = await _question(request)
        if problem:
            return HTMLResponse(_error_html(problem), status_code=400)
        try:
            answer = await run_in_threadpool(_ask, question, self.settings)
        except BotError as exc:
            return HTMLResponse(_error_html(str(exc)), status_code=400)
        from bot.render import answer_html

        return HTMLResponse(answer_html(answer))

    async def start_page(self, request: Request) -> Response:
        from bot.render import CSS

        return HTMLResponse(START_PAGE.replace("/*CSS*/", CSS))


def _ask(question: str, settings: Settings) -> Any:
    from bot.answer import ask

    return ask(question, settings=settings)


async def _question(request: Request) -> tuple[str, str]:
    """Return the request's question, or a message saying what was wrong with the request."""
    body = await request.body()
    if len(body) > MAX_BODY:
        return "", f"The request body is {len(body):,} bytes; send at most {MAX_BODY:,}: one question as JSON."
    try:
        data = json.loads(body or b"null")
    except ValueError:
        return "", 'The request body is not JSON. Send {"question": "your question"}.'
    if not isinstance(data, dict) or not isinstance(data.get("question"), str):
        return "", 'The request has no "question" text. Send {"question": "your question"}.'
    return data["question"], ""


def _error_html(message: str) -> str:
    from bot.render import esc

    return f'<div class="refusal"><p>⚠️ <b>Not answered:</b> {esc(message)}</p></div>'


async def starting(scope: Scope, receive: Receive, send: Send) -> None:
    """Tell a client that asked for a part of the full UI too early to come back in a second."""
    response = PlainTextResponse(
        "The app is still starting: this part of it is ready in a few seconds. Retry shortly, or open / to ask now.",
        status_code=503,
        headers={"Retry-After": "1"},
    )
    await response(scope, receive, send)


def serve(
    settings: Settings | None = None,
    build: Callable[[], Any] | None = None,
    after: threading.Thread | None = None,
) -> None:
    """Serve the app on BOT_HOST:BOT_PORT: the front at once, the Gradio UI as soon as it is built (blocks).

    ``after`` is the retrieval warm-up (``bot.warmup.start_warm_up``): the UI is built once it is done (or after
    ``UI_WAIT`` seconds), because Gradio's import beside it would hold the interpreter and delay the first answer.
    """
    import uvicorn

    settings = settings or get_settings()
    if settings.logins:
        raise ConfigError(
            "The start page has no login, and BOT_AUTH is set.",
            "Serve the app with `python app.py` (it uses Gradio's login then) or bot.ui.launch().",
        )
    front = Front(settings)
    config = uvicorn.Config(
        front,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=SHUTDOWN_WAIT,  # the UI's event streams stay open as long as a page does
    )
    server = uvicorn.Server(config)
    front.stopping = lambda: server.should_exit

    def build_ui() -> Any:
        from bot.ui import build_app, mount

        return mount(build_app(settings), settings)

    def when_up() -> None:
        while not server.started and not server.should_exit:
            threading.Event().wait(0.02)
        if after is not None:
            after.join(UI_WAIT)
        if server.started:
            print(f"* Running on http://{settings.host}:{settings.port} (the full app follows in a few seconds)")
            front.mount(build or build_ui)

    threading.Thread(target=when_up, name="build-ui", daemon=True).start()
    server.run()


def main(settings: Settings | None = None) -> None:
    """``python app.py``: warm retrieval up, then serve: the front first, or with BOT_AUTH Gradio alone (its login)."""
    from bot.warmup import start_warm_up

    settings = settings or get_settings()
    warming = start_warm_up(settings)
    if settings.logins:
        from bot.ui import build_app, launch

        launch(build_app(settings), settings)
    else:
        serve(settings, after=warming)


START_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CECOT debate bot (starting)</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
form { display: flex; gap: .5rem; } input { flex: 1; padding: .5rem; } button { padding: .5rem 1rem; }
#ready { background: #ecfccb; padding: .5rem; display: none; } .wait { color: #6b7280; }
/*CSS*/
</style></head><body>
<h1>Debate prep: El Salvador, CECOT and the state of exception</h1>
<p class="wait" id="status">The full app (chat, briefs, rebuttals, sources) is starting.
You can already ask a question about the sources here.</p>
<p id="ready">The full app is ready: <a href="/">open it</a>.</p>
<form id="ask"><input id="q" name="question" placeholder="Ask about the sources" autofocus>
<button type="submit">Ask</button></form>
<div id="answer"></div>
<script>
const answered = { any: false };
document.getElementById("ask").addEventListener("submit", async (e) => {
  e.preventDefault();
  const out = document.getElementById("answer");
  out.textContent = "Looking in the sources…";
  const r = await fetch("/start/answer", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ question: document.getElementById("q").value }) });
  out.innerHTML = await r.text();
  answered.any = true;
});
async function poll() {
  try {
    const s = await (await fetch("/api/ready")).json();
    if (s.ui) {
      if (!answered.any) { location.reload(); return; }
      document.getElementById("ready").style.display = "block";
      document.getElementById("status").style.display = "none";
      return;
    }
    if (s.error) { document.getElementById("status").textContent = "The full app could not start: " + s.error; return; }
  } catch (err) { /* the server is busy: try again */ }
  setTimeout(poll, 500);
}
poll();
</script></body></html>
"""
