"""Warm the retrieval stack in a background thread, so a new app answers its first question sooner."""

from __future__ import annotations

import threading

from bot.settings import Settings, get_settings

_STARTED: set[str] = set()
_LOCK = threading.Lock()


def start_warm_up(settings: Settings | None = None) -> threading.Thread | None:
    """Import the model libraries, load the model and the index, and score one question; at most once per data dir.

    Only retrieval is warmed: a configured LLM is never called (that would cost the user money). Failures are
    left for the first real request to report.
    """
    settings = settings or get_settings()
    with _LOCK:
        if str(settings.data_dir) in _STARTED:
            return None
        _STARTED.add(str(settings.data_dir))

    def work() -> None:
        try:
            from bot.answer import prepare

            question = "How many inmates can CECOT hold?"
            prepare(question, question, settings.answer_k, None, settings)
        except Exception:  # noqa: S110 - best effort; real requests report their own errors
            pass

    thread = threading.Thread(target=work, name="warm-up", daemon=True)
    thread.start()
    return thread
