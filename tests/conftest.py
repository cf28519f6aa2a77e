"""Shared fixtures: real model, real Chroma in temp folders, a small real fixture corpus and the shipped corpus."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.settings import PROJECT_DIR, Settings, reset_settings

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_CORPUS = FIXTURES / "corpus"
SHIPPED_CORPUS = PROJECT_DIR / "corpus"
ARTIFACTS = Path(__file__).parent / "artifacts"

# A developer's own BOT_* variables (say BOT_LLM=openai:...) must not leak into the tests.
for _name in [n for n in os.environ if n.startswith("BOT_")]:
    del os.environ[_name]
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
# Every temp data dir shares one ONNX export of the model (made once, by `make install` or the first test).
os.environ["BOT_EMBED_CACHE_DIR"] = str(PROJECT_DIR / ".bot" / "models")


def make_settings(data_dir: Path, corpus_dir: Path = FIXTURE_CORPUS, **overrides: Any) -> Settings:
    """Return settings for a temp data dir, ignoring any .env file."""
    return Settings(_env_file=None, data_dir=data_dir, corpus_dir=corpus_dir, **overrides)  # type: ignore[call-arg]


def ingest_files(tmp_path: Path, files: dict[str, str], **overrides: Any) -> Settings:
    """Write the files into a fresh corpus folder under tmp_path, ingest them, and return the settings."""
    from bot.ingest import ingest

    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    s = make_settings(tmp_path / "data", folder, **overrides)
    report = ingest(settings=s)
    assert not report.failed, report.failed
    return s


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_app(s: Settings) -> Iterator[str]:
    """Serve the web app for these settings on a free local port; yield its URL."""
    from bot.ui import build_app, launch

    demo = build_app(s)
    _, url, _ = launch(demo, s, prevent_thread_lock=True, server_port=free_port(), quiet=True)
    try:
        yield url
    finally:
        demo.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with an empty data dir and the fixture corpus."""
    return make_settings(tmp_path / "data")


@pytest.fixture(scope="session")
def fixture_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The fixture corpus, ingested once for the session (read-only for tests)."""
    from bot.ingest import ingest

    s = make_settings(tmp_path_factory.mktemp("fixture-index"))
    report = ingest(settings=s)
    assert not report.failed, report.failed
    return s


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The shipped corpus, ingested once for the session (read-only for tests)."""
    from bot.ingest import ingest

    s = make_settings(tmp_path_factory.mktemp("corpus-index"), SHIPPED_CORPUS)
    report = ingest(settings=s)
    assert not report.failed, report.failed
    return s


@pytest.fixture
def use_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Point ``get_settings()`` (and so the CLI) at given settings through BOT_* variables."""

    def apply(s: Settings, **extra: str) -> None:
        monkeypatch.setenv("BOT_DATA_DIR", str(s.data_dir))
        monkeypatch.setenv("BOT_CORPUS_DIR", str(s.corpus_dir))
        for key, value in extra.items():
            monkeypatch.setenv(f"BOT_{key.upper()}", value)
        reset_settings()

    yield apply
    reset_settings()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the bad-input battery's tally (see tests/test_battery.py)."""
    import sys

    module = sys.modules.get("tests.test_battery")
    results: dict[str, str] = getattr(module, "RESULTS", {}) if module else {}
    if results:
        crashed = sum(1 for v in results.values() if v.startswith("CRASH"))
        terminalreporter.write_line(
            f"bad-input battery: {len(results)} bad inputs tried through the API, CLI, uploads and web; "
            f"{crashed} crashed"
        )
