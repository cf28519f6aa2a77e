"""The app's front (bot.front): answers while the UI is starting, bad requests told what to send, then Gradio behind it.

Real parts: the fixture corpus ingested in a real Chroma, the real model, the real Gradio app; ``python app.py`` is
started as a user starts it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from starlette.testclient import TestClient

from bot.errors import ConfigError
from bot.front import Front, serve
from bot.manifest import source_text
from bot.settings import PROJECT_DIR, Settings
from tests.conftest import free_port, make_settings

QUESTION = "How many inmates can the prison hold?"


def check_quotes(answer: dict[str, Any], s: Settings) -> None:
    assert not answer["refused"], answer
    assert answer["citations"], answer
    for c in answer["citations"]:
        assert source_text(c["source_id"], s)[c["start"] : c["end"]] == c["quote"]


def test_before_the_ui_the_front_answers_and_says_the_rest_is_starting(fixture_index: Settings) -> None:
    with TestClient(Front(fixture_index)) as client:
        assert client.get("/api/ready").json() == {"ui": False, "error": None}
        answer = client.post("/api/ask", json={"question": QUESTION})
        assert answer.status_code == 200
        assert answer.json()["question"] == QUESTION
        check_quotes(answer.json(), fixture_index)
        page = client.get("/")
        assert page.status_code == 200 and 'id="ask"' in page.text and "/api/ready" in page.text
        html = client.post("/start/answer", json={"question": QUESTION})
        assert html.status_code == 200
        first = answer.json()["citations"][0]
        assert first["title"] in html.text and "Sources" in html.text
        later = client.get("/config")
        assert later.status_code == 503 and later.headers["retry-after"] == "1"
        assert "starting" in later.text


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"what is cecot", "not JSON"),
        (b'["a list"]', 'no "question"'),
        (b'{"q": "misspelt key"}', 'no "question"'),
        (b'{"question": 7}', 'no "question"'),
        (b'{"question": "   "}', "empty"),
        (json.dumps({"question": "x" * 70_000}).encode(), "at most"),
    ],
)
def test_a_bad_request_is_told_what_was_wrong(fixture_index: Settings, body: bytes, says: str) -> None:
    with TestClient(Front(fixture_index)) as client:
        reply = client.post("/api/ask", content=body, headers={"Content-Type": "application/json"})
        assert reply.status_code == 400
        assert says in reply.json()["error"]
        page = client.post("/start/answer", content=body)
        assert page.status_code == 400 and "Not answered" in page.text


def test_a_ui_that_cannot_be_built_is_reported_and_asking_goes_on(fixture_index: Settings) -> None:
    def broken() -> None:
        raise RuntimeError("no display for you")

    front = Front(fixture_index)
    with TestClient(front) as client:
        front.mount(broken)
        ready = client.get("/api/ready").json()
        assert ready["ui"] is False and "no display for you" in ready["error"]
        check_quotes(client.post("/api/ask", json={"question": QUESTION}).json(), fixture_index)


def test_the_front_is_not_served_with_logins(tmp_path: Any) -> None:
    with pytest.raises(ConfigError, match="BOT_AUTH"):
        serve(make_settings(tmp_path / "data", auth="alice:pw"))


def _get(url: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.loads(reply.read())


def test_python_app_py_answers_then_serves_the_ui_and_stops_on_sigterm(fixture_index: Settings) -> None:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BOT_")},
        "BOT_DATA_DIR": str(fixture_index.data_dir),
        "BOT_CORPUS_DIR": str(fixture_index.corpus_dir),
        "BOT_PORT": str(port),
        "BOT_LLM": "extractive",
    }
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=PROJECT_DIR, env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        answer = None
        while answer is None and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            try:
                answer = _get(f"{base}/api/ask", {"question": QUESTION})
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        assert answer is not None, "no answer within 120 s"
        check_quotes(answer, fixture_index)
        while not _get(f"{base}/api/ready")["ui"]:
            assert time.monotonic() < deadline, "the UI did not come up within 120 s"
            time.sleep(0.2)
        with urllib.request.urlopen(f"{base}/config", timeout=30) as reply:
            assert reply.status == 200
        with urllib.request.urlopen(f"{base}/", timeout=30) as reply:
            page = reply.read().decode()
        assert 'id="ask"' not in page and "gradio" in page.lower()  # Gradio's page now, not the start page
        check_quotes(_get(f"{base}/api/ask", {"question": QUESTION}), fixture_index)  # the API stays
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail("python app.py did not stop within 20 s of SIGTERM")
