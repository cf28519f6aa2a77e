"""The start-up warm-ups: retrieval at once, debate work only after the app has served something."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from bot.settings import Settings


def test_debate_warm_up_waits_for_the_first_page_or_answer_then_cuts_the_default_brief(
    fixture_index: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    import bot.warmup as warmup
    from bot.debate.motions import default_motion

    monkeypatch.setattr(warmup, "_SERVED", threading.Event())
    monkeypatch.setattr(warmup, "_DEBATE_STARTED", set())
    cut: list[str] = []
    brief_module = importlib.import_module(
        "bot.debate.brief"
    )  # the module (the package's bot.debate.brief is the function)
    real = brief_module.brief

    def brief(motion: str, **kwargs: Any) -> Any:
        cut.append(motion)
        return real(motion, **kwargs)

    monkeypatch.setattr(brief_module, "brief", brief)
    thread = warmup.warm_debate(fixture_index, wait=60)
    assert thread is not None and warmup.warm_debate(fixture_index) is None  # once per data dir
    time.sleep(0.3)
    assert cut == [] and thread.is_alive()  # nothing competes with the start before something was served
    warmup.note_served()
    thread.join(timeout=120)
    assert not thread.is_alive() and cut == [default_motion(fixture_index).text]


def test_retrieval_warm_up_runs_once_per_data_dir(fixture_index: Settings) -> None:
    from bot.warmup import start_warm_up

    first = start_warm_up(fixture_index)
    if first is not None:  # another test may have warmed this data dir already
        first.join(timeout=120)
    assert start_warm_up(fixture_index) is None


def test_debate_warm_up_never_calls_a_configured_llm(fixture_index: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.warmup as warmup
    from bot import llm
    from tests.fakes import QueuedChatModel

    monkeypatch.setattr(warmup, "_SERVED", threading.Event())
    monkeypatch.setattr(warmup, "_DEBATE_STARTED", set())
    model = QueuedChatModel(responses=[], history=[])
    llm.use_chat_model(model)
    try:
        warmup.note_served()
        thread = warmup.warm_debate(fixture_index, wait=0)
        assert thread is not None
        thread.join(timeout=120)
        assert not thread.is_alive() and model.history == []
    finally:
        llm.use_chat_model(None)
