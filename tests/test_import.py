"""Importing the package is cheap: no model, no database, no environment read."""

from __future__ import annotations

import json
import subprocess
import sys

from bot.settings import PROJECT_DIR

PROBE = r"""
import json, os, sys, time
os.environ["BOT_DATA_DIR"] = "/nonexistent/should-not-be-touched"
t = time.perf_counter()
import bot, bot.retrieval, bot.ingest, bot.sources, bot.chunking, bot.embeddings, bot.store, bot.manifest
elapsed = time.perf_counter() - t
import bot.settings, bot.embeddings
print(json.dumps({
    "seconds": elapsed,
    "settings_read": bot.settings.get_settings.cache_info().currsize,
    "model_loaded": bot.embeddings.model_loaded(),
    "heavy": sorted(
        m for m in ("torch", "sentence_transformers", "chromadb", "gradio", "transformers") if m in sys.modules
    ),
}))
"""


def test_import_has_no_side_effects() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=PROJECT_DIR, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["settings_read"] == 0, "settings are read on first use, not at import"
    assert result["model_loaded"] is False
    assert result["heavy"] == [], f"heavy modules imported at import time: {result['heavy']}"
    assert result["seconds"] < 3.0, f"import took {result['seconds']:.2f} s"
