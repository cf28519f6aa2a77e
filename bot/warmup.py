"""Warm the retrieval stack in a background thread, so a new app answers its first question sooner."""

from __future__ import annotations

import threading

from bot.settings import Settings, get_settings

_STARTED: set[str] = set()
_DEBATE_STARTED: set[str] = set()
_LOCK = threading.Lock()
_SERVED = threading.Event()


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


def note_served() -> None:
    """Record that the app has served a page or an answer: work that would compete with the start may begin."""
    _SERVED.set()


def warm_debate(settings: Settings | None = None, wait: float = 60.0) -> threading.Thread | None:
    """Cut one brief of the default motion in the background, once the app has served something (or after ``wait``
    seconds), so the first brief a user asks for finds the sentence table, its stances and the contentions' vectors
    ready. Deferred because building them while the app starts would delay its first answer. With an LLM configured
    the brief is not cut (the model would be called, at the user's cost); the sentence table and its stances are."""
    settings = settings or get_settings()
    with _LOCK:
        if str(settings.data_dir) in _DEBATE_STARTED:
            return None
        _DEBATE_STARTED.add(str(settings.data_dir))

    def work() -> None:
        _SERVED.wait(wait)
        try:
            from bot.debate.brief import brief
            from bot.debate.motions import default_motion
            from bot.debate.sentences import sentence_table
            from bot.llm import make_chat_model

            motion = default_motion(settings)
            if make_chat_model(settings) is None:
                brief(motion.text, settings=settings)
            else:  # a configured LLM is never called by a warm-up: only the offline tables are built
                sentence_table(settings).probabilities(motion, settings)
        except Exception:  # noqa: S110 - best effort; real requests report their own errors
            pass

    thread = threading.Thread(target=work, name="warm-up-debate", daemon=True)
    thread.start()
    return thread
