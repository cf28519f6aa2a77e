"""The CLI end to end: exit codes, JSON output, messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from bot.__main__ import main
from bot.manifest import source_text
from bot.settings import PROJECT_DIR, Settings


def run_cli(s: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot`` in a subprocess against the given data dir."""
    env = {**os.environ, "BOT_DATA_DIR": str(s.data_dir), "BOT_CORPUS_DIR": str(s.corpus_dir)}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=PROJECT_DIR, env=env, timeout=300
    )


def test_search_json_must_show(corpus_index: Settings) -> None:
    out = run_cli(corpus_index, "search", "How many inmates can CECOT hold?", "--json")
    assert out.returncode == 0, out.stderr
    passages = json.loads(out.stdout)
    assert "40,000" in passages[0]["text"]
    assert set(passages[0]) >= {"id", "source_id", "title", "url", "text", "start", "end", "score", "page"}
    for p in passages:
        assert source_text(p["source_id"], corpus_index)[p["start"] : p["end"]] == p["text"]


def test_ingest_prints_counts(settings: Settings, use_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    use_env(settings)
    assert main(["ingest", "--quiet"]) == 0
    first = capsys.readouterr().out
    assert "added: 3" in first
    assert main(["ingest", "--quiet"]) == 0
    second = capsys.readouterr().out
    assert "unchanged: 3" in second and "added: 0" in second


def test_errors_go_to_stderr_with_nonzero_exit(
    fixture_index: Settings, use_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    use_env(fixture_index)
    assert main(["search", "   "]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and "empty" in captured.err.lower()
    assert main(["search", "prison", "-k", "0"]) == 2
    assert "k=0" in capsys.readouterr().err


def test_sources_lists_provenance(fixture_index: Settings, use_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    use_env(fixture_index)
    assert main(["sources", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    by_id = {r["id"]: r for r in rows}
    assert by_id["rights-report"]["publisher"] == "Fixture Rights Watchers"
    assert by_id["rights-report"]["passages"] > 0


def test_ingest_of_missing_path_fails(settings: Settings, use_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    use_env(settings)
    assert main(["ingest", "--quiet", str(settings.data_dir / "nope.md")]) == 1
    assert "No such file" in capsys.readouterr().err
