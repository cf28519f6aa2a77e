"""Reliability: crash mid-ingest (kill -9), concurrent ingests and users, a failing LLM, Chroma as a server."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from gradio_client import Client

from bot import llm
from bot.ingest import ingest
from bot.manifest import load_manifest, source_text
from bot.retrieval import retrieve
from bot.settings import PROJECT_DIR, Settings

from .conftest import FIXTURE_CORPUS, free_port, make_settings, running_app
from .fakes import QueuedChatModel
from .test_ingest import assert_store_matches_manifest

WORDS = (
    "prison gang arrest court judge detainee custody homicide rate government report minister decree hearing "
    "family lawyer evidence police soldier transfer capacity cell guard release budget poll election tourism"
).split()


def synthetic_corpus(folder: Path, files: int, sentences: int, seed: int = 7) -> None:
    """Write plain-text sources of generated sentences (deterministic)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        lines = []
        for j in range(sentences):
            words = rng.sample(WORDS, 9)
            lines.append(f"Report {i} line {j} says the {' '.join(words)} figure was {rng.randint(10, 99999)}.")
        (folder / f"synthetic-{i:03d}.txt").write_text(" ".join(lines) + "\n", encoding="utf-8")


def _env(s: Settings) -> dict[str, str]:
    return {**os.environ, "BOT_DATA_DIR": str(s.data_dir), "BOT_CORPUS_DIR": str(s.corpus_dir)}


def test_kill_9_mid_ingest_then_rerun_agrees(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    synthetic_corpus(corpus, files=40, sentences=30)
    s = make_settings(tmp_path / "data", corpus)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "ingest", "--quiet"],
        cwd=PROJECT_DIR,
        env=_env(s),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    manifest = s.data_dir / "manifest.json"
    deadline = time.monotonic() + 180
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if manifest.exists():
            try:
                done = len(json.loads(manifest.read_text())["sources"])
            except (ValueError, KeyError):
                done = 0
            if done >= 3:
                break
        time.sleep(0.05)
    assert proc.poll() is None, "ingest finished before it could be killed; make the corpus larger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    killed_at = len(load_manifest(s).sources)
    assert 3 <= killed_at < 40

    # A second ingest at the same time as a running one fails clearly instead of interleaving.
    runner = subprocess.Popen(
        [sys.executable, "-m", "bot", "ingest", "--quiet"],
        cwd=PROJECT_DIR,
        env=_env(s),
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(0.5)
    while runner.poll() is None and not (s.data_dir / "ingest.lock").exists():
        time.sleep(0.05)
    rival = subprocess.run(
        [sys.executable, "-m", "bot", "ingest", "--quiet"],
        cwd=PROJECT_DIR,
        env={**_env(s), "BOT_INGEST_LOCK_TIMEOUT": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    out, _ = runner.communicate(timeout=600)
    assert runner.returncode == 0, out
    if rival.returncode != 0:  # it ran while the first held the lock
        assert rival.returncode == 2 and "Another ingest is running" in rival.stderr
    report = ingest(settings=s)
    assert not report.added and not report.updated, "everything was finished by the resumed run"
    manifest_now = load_manifest(s)
    assert len(manifest_now.sources) == 40
    assert_store_matches_manifest(s)


def test_twenty_concurrent_chat_sessions(corpus_index: Settings) -> None:
    questions = [
        "How many inmates can CECOT hold?",
        "How many people have died in custody?",
        "What homicide rate did the government report for 2023?",
        "When was the state of exception declared?",
        "How many Venezuelans were sent to CECOT?",
    ]
    with running_app(corpus_index) as url:

        def session(i: int) -> tuple[str, dict[str, object], float]:
            question = f"{questions[i % len(questions)]} (session {i})"
            client = Client(url, verbose=False)
            began = time.perf_counter()
            answer = client.predict(question, api_name="/ask")
            return question, answer, time.perf_counter() - began

        with ThreadPoolExecutor(max_workers=20) as pool:
            results = list(pool.map(session, range(20)))
    assert len(results) == 20
    for question, answer, _ in results:
        assert answer["question"] == question, "each answer belongs to its own question"
        assert answer["citations"] or answer["refused"]
    latencies = sorted(r[2] for r in results)
    print(f"\n20 concurrent sessions: p50 {statistics.median(latencies):.2f} s, p95 {latencies[18]:.2f} s, 0 errors")


def test_ui_stays_usable_after_an_llm_failure(fixture_index: Settings) -> None:
    model = QueuedChatModel(responses=[], history=[])
    model.enqueue(ConnectionError("connection refused"), "The prison holds about 40,000 inmates [1].")
    llm.use_chat_model(model)
    try:
        with running_app(fixture_index) as url:
            client = Client(url, verbose=False)
            with pytest.raises(Exception, match="Cannot reach the LLM"):
                client.predict("How many inmates can the prison hold?", api_name="/ask")
            answer = client.predict("How many inmates can the prison hold?", api_name="/ask")
            assert not answer["refused"] and answer["citations"]
    finally:
        llm.use_chat_model(None)


def test_auth_is_enforced_when_set(fixture_index: Settings) -> None:
    s = make_settings(fixture_index.data_dir, fixture_index.corpus_dir, auth="debater:secret-pass")
    with running_app(s) as url:
        with pytest.raises(Exception):  # noqa: B017 - gradio_client raises its own types for a 401
            Client(url, verbose=False).predict("How many inmates can the prison hold?", api_name="/ask")
        client = Client(url, auth=("debater", "secret-pass"), verbose=False)
        assert client.predict("How many inmates can the prison hold?", api_name="/ask")["citations"]
    assert "secret-pass" not in repr(s)


def start_chroma(path: Path, port: int) -> subprocess.Popen[bytes]:
    """Start a real `chroma run` on 127.0.0.1:port and wait until it accepts connections."""
    chroma = Path(sys.executable).parent / "chroma"
    if not chroma.exists():
        pytest.skip("the chroma CLI is not installed in this environment")
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    pytest.fail("the Chroma server did not start within 60 s")


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    proc = start_chroma(tmp_path / "server-db", port)
    try:
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_chroma_server_going_away_is_a_clear_error_and_coming_back_needs_no_restart(tmp_path: Path) -> None:
    from bot.errors import StoreError

    port = free_port()
    proc = start_chroma(tmp_path / "server-db", port)
    s = make_settings(tmp_path / "data", FIXTURE_CORPUS, chroma_host="127.0.0.1", chroma_port=port)
    try:
        assert not ingest(settings=s).failed
        assert retrieve("deaths in custody", 3, settings=s)
        proc.kill()
        proc.wait(timeout=30)
        began = time.monotonic()
        with pytest.raises(StoreError, match="Chroma"):
            retrieve("deaths in custody", 3, settings=s)
        assert time.monotonic() - began < 60, "a dead server must fail fast, not hang"
        proc = start_chroma(tmp_path / "server-db", port)
        assert retrieve("deaths in custody", 3, settings=s), "the bot recovers when the server is back"
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_chroma_server_mode_matches_embedded(tmp_path: Path, chroma_server: tuple[str, int]) -> None:
    host, port = chroma_server
    embedded = make_settings(tmp_path / "embedded", FIXTURE_CORPUS)
    server = make_settings(tmp_path / "server", FIXTURE_CORPUS, chroma_host=host, chroma_port=port)
    assert server.chroma_mode == "server"
    for s in (embedded, server):
        report = ingest(settings=s)
        assert not report.failed and len(report.added) == 3
        assert_store_matches_manifest(s)
    for query in ("How many inmates can the prison hold?", "deaths in custody", "homicide rate", "tourism"):
        a = retrieve(query, 4, settings=embedded)
        b = retrieve(query, 4, settings=server)
        assert [p.id for p in a] == [p.id for p in b]
        assert [round(p.score, 5) for p in a] == [round(p.score, 5) for p in b]
    assert ingest(settings=server).unchanged  # idempotent through the server too


INGEST_50 = r"""
import sys
from pathlib import Path
from bot.ingest import ingest
from tests.conftest import make_settings
s = make_settings(Path(sys.argv[1]), Path(sys.argv[2]))
report = ingest([sys.argv[3]], settings=s)
print(len(report.added), len(report.failed))
"""


@pytest.mark.slow
def test_serving_while_another_process_ingests(corpus_index: Settings, tmp_path: Path) -> None:
    """20 sessions ask, search and read sources while another process ingests 50 new files: 0 errors, every quote
    verified against the stored text (a source half ingested is never cited)."""
    import shutil
    import subprocess
    import sys

    data = tmp_path / "data"
    shutil.copytree(corpus_index.data_dir, data)
    s = make_settings(data, corpus_index.corpus_dir)
    new = tmp_path / "new"
    new.mkdir()
    for i in range(50):
        (new / f"extra-{i:02d}.txt").write_text(
            f"Report {i}: the prison in district {i} held {1000 + i} inmates in 2024, officials said. "
            f"Rights groups said {10 + i} detainees in district {i} had no lawyer. " * 3,
            encoding="utf-8",
        )
    questions = ["How many inmates can CECOT hold?", "How many inmates did the prison in district 7 hold?"]
    with running_app(s) as url:
        proc = subprocess.Popen(
            [sys.executable, "-c", INGEST_50, str(data), str(corpus_index.corpus_dir), str(new)],
            cwd=Path(__file__).parent.parent,
            stdout=subprocess.PIPE,
            text=True,
        )

        def session(i: int) -> list[dict[str, object]]:
            client = Client(url, verbose=False)
            out = []
            for j in range(3):
                out.append(client.predict(f"{questions[(i + j) % 2]} ({i}.{j})", api_name="/ask"))
            return out

        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = [a for batch in pool.map(session, range(20)) for a in batch]
        stdout, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0 and stdout.split() == ["50", "0"]
    assert len(answers) == 60
    for answer in answers:
        for c in answer["citations"]:  # type: ignore[union-attr]
            assert c["verified"]
            assert source_text(c["source_id"], s)[c["start"] : c["end"]] == c["quote"]
    cited = sum(len(a["citations"]) for a in answers)  # type: ignore[arg-type]
    print(f"\nserving while ingesting: 60 answers, 0 errors, {cited} citations verified")
