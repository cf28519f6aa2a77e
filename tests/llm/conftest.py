"""The real-LLM tests (``make test-llm``): llama.cpp's OpenAI-compatible server with SmolLM2-135M, one per session.

They are collected only with LLM_TESTS=1, which ``make test-llm`` sets after installing the server and fetching
the model (``python -m tools.llm_server prepare``), so a plain ``make test`` never sees them. The session fixture
owns the server process: it starts it on a free port of 127.0.0.1, waits until /v1/models answers, and stops it at
the end of the session, also when tests fail. Where the server cannot be had, every test skips with the reason,
repeated as a banner at the end of the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.settings import PROJECT_DIR

collect_ignore_glob = [] if os.environ.get("LLM_TESTS") == "1" else ["*.py"]

SKIPPED: list[str] = []
DIED: list[str] = []


@pytest.fixture(scope="session")
def llm_server() -> Iterator[str]:
    """Start the llama.cpp server for the session; yield its base URL (``http://127.0.0.1:<port>/v1``)."""
    from tools.llm_server import Unavailable, exit_reason, installed, model_path, start

    cache = Path(os.environ.get("LLM_TEST_CACHE") or PROJECT_DIR / ".bot" / "cache")
    if not installed():
        SKIPPED.append("llama-cpp-python[server] is not installed: run `make test-llm`, which installs it")
        pytest.skip(SKIPPED[-1])
    try:
        model = model_path(cache)
    except Unavailable as exc:
        SKIPPED.append(f"the model is not available: {exc}")
        pytest.skip(SKIPPED[-1])
    server = start(model)
    try:
        yield server.url
    finally:
        if server.process.poll() is not None:  # it died under the tests: their "cannot reach" errors come from this
            how = exit_reason(server.process.returncode)
            DIED.append(f"the llama.cpp server died during the tests ({how}); see {server.log}")
        server.stop()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print what the model did in each test; say loudly that the tests did not run, and why."""
    import sys

    module = sys.modules.get("tests.llm.test_real_llm")
    for line in getattr(module, "OUTCOMES", []):
        terminalreporter.write_line(f"real LLM: {line}")
    for line in DIED:
        terminalreporter.write_line(f"REAL-LLM SERVER: {line}", red=True, bold=True)
    if SKIPPED:
        bar = "=" * 100
        terminalreporter.write_line(f"{bar}\nREAL-LLM TESTS SKIPPED: {SKIPPED[0]}\n{bar}", red=True, bold=True)
