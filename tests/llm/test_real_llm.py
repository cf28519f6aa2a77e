"""The LLM path against a real model over real HTTP: llama.cpp's server, SmolLM2-135M, the real `openai` client.

The bot is configured as a user would (BOT_LLM=openai:smollm2, BOT_LLM_BASE_URL=...). A 135M model writes poor
answers, so these tests assert on what must hold whatever it writes: citations exact and each behind a supported
sentence, fallbacks labelled with their reason, every method counted. Never on wording.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import pytest

from bot.answer import Partial, ask, ask_stream
from bot.answer_llm import FALLBACK_DETAIL
from bot.debate.brief import brief
from bot.debate.motions import default_motion
from bot.debate.rebuttal import ANALYSIS_WORDS, rebut
from bot.debate.stance import LABELS, classify
from bot.manifest import source_text
from bot.settings import PROJECT_DIR, Settings, get_settings
from bot.types import Answer
from tests.test_llm_path import assert_never_an_unsupported_answer

MODEL = "openai:smollm2"
BUDGET = "300"
"""Seconds per answer: a 135M model on a busy 2-core machine can take a minute for one."""
OUTCOMES: list[str] = []
"""What the model did in each test, printed at the end of the run (tests/llm/conftest.py)."""
QUESTION = "How many inmates can CECOT hold?"
MOTION = "El Salvador's mass-incarceration policy, symbolised by CECOT, is justified"


@pytest.fixture
def real_llm(llm_server: str, corpus_index: Settings, use_env: Any) -> Settings:
    """Configure the bot through BOT_* variables, as a user would, to answer with the real server."""
    use_env(corpus_index, llm=MODEL, llm_base_url=llm_server, llm_timeout=BUDGET, llm_max_retries="0")
    s = get_settings()
    assert s.llm == MODEL and s.llm_base_url == llm_server
    return s


def outcome(what: str, answer: Answer) -> None:
    kind = "refused" if answer.refused else f"fallback {answer.fallback}" if answer.fallback else "model's answer"
    supported = sum(x.supported for x in answer.sentences)
    OUTCOMES.append(
        f"{what}: {kind}, {len(answer.citations)} citations, {supported}/{len(answer.sentences)} sentences supported, "
        f"model {answer.metrics.get('model_ms', 0) / 1000:.1f} s, rewrite {answer.rewrite or '-'}"
    )


def assert_model_was_used_or_fallback_said_why(answer: Answer, s: Settings) -> None:
    assert_never_an_unsupported_answer(answer, s)
    if answer.refused:
        return
    assert "model_ms" in answer.metrics, "the model was not asked"
    assert answer.fallback != "timeout", f"the model did not answer within {BUDGET} s"
    if answer.model == "extractive":
        assert answer.fallback in FALLBACK_DETAIL and answer.note.startswith(f"The model's answer ({MODEL})")
    else:
        assert answer.model == MODEL and answer.fallback == ""


def test_ask(real_llm: Settings) -> None:
    answer = ask(QUESTION)
    outcome("ask", answer)
    assert not answer.refused and answer.citations
    assert_model_was_used_or_fallback_said_why(answer, real_llm)


def test_ask_stream_shows_the_draft_then_the_checked_answer(real_llm: Settings) -> None:
    events = list(ask_stream("How many people have died in custody under the state of exception?"))
    final = events[-1]
    assert isinstance(final, Answer)
    outcome("ask_stream", final)
    drafts = [e for e in events if isinstance(e, Partial)]
    assert all(d.draft for d in drafts)
    if final.metrics.get("model_chars", 0):
        assert drafts, "the model wrote, but no draft was streamed"
    assert_model_was_used_or_fallback_said_why(final, real_llm)


def test_cli_never_answers_with_zero_citations(real_llm: Settings, llm_server: str) -> None:
    env = {
        **os.environ,
        "BOT_DATA_DIR": str(real_llm.data_dir),
        "BOT_CORPUS_DIR": str(real_llm.corpus_dir),
        "BOT_LLM": MODEL,
        "BOT_LLM_BASE_URL": llm_server,
        "BOT_LLM_TIMEOUT": BUDGET,
    }
    out = subprocess.run(
        [sys.executable, "-m", "bot", "ask", QUESTION, "--json"],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        env=env,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    answer = json.loads(out.stdout)
    OUTCOMES.append(f"CLI ask --json: model {answer['model']}, fallback {answer['fallback'] or '-'}")
    assert answer["refused"] or answer["citations"], "refused: false with zero citations"
    for c in answer["citations"]:
        assert source_text(c["source_id"], real_llm)[c["start"] : c["end"]] == c["quote"]
    assert (answer["model"] == MODEL) != bool(answer["fallback"])


def test_follow_up_is_rewritten_by_the_model_or_said_why_not(real_llm: Settings) -> None:
    answer = ask("When did it open?", history=[QUESTION])
    outcome(f"follow-up (query {answer.query!r})", answer)
    assert answer.rewrite == "llm" or answer.rewrite.startswith("offline (the model's rewrite was not used: ")
    assert answer.query.strip()
    assert_never_an_unsupported_answer(answer, real_llm)


def test_brief_tags_and_stance_by_the_model(real_llm: Settings) -> None:
    result = brief(MOTION, per_side=2)
    assert result.model == MODEL
    cards = result.pro + result.con
    assert cards
    for card in cards:
        assert source_text(card.source_id, real_llm)[card.start : card.end] == card.evidence
        assert card.tag.strip()
        assert card.tag_method == f"llm: {MODEL}" or card.tag_method.startswith(f"extractive: {MODEL}'s tag not used (")
    tags = {k: n for k, n in result.methods.items() if k.startswith("tag: ")}
    OUTCOMES.append(f"brief: {result.methods}")
    assert sum(tags.values()) == len(cards)
    stances = {k: n for k, n in result.methods.items() if k.startswith("stance: ")}
    assert stances and all(k.startswith(f"stance: llm: {MODEL}") for k in stances)
    assert sum(stances.values()) >= len(cards)


def test_rebut_analysis_lines_by_the_model(real_llm: Settings) -> None:
    result = rebut("Homicides fell, so the crackdown works", n=1)
    blocks = [b for b in result.blocks if b.cards]
    OUTCOMES.append(f"rebut: {result.methods}")
    assert blocks
    for block in blocks:
        if block.analysis_method == f"llm: {MODEL}":
            assert block.analysis.strip() and len(block.analysis.split()) <= ANALYSIS_WORDS
        else:
            assert block.analysis_method.startswith(f"none: {MODEL}'s line not used (") and block.analysis == ""
    assert sum(n for k, n in result.methods.items() if k.startswith("analysis: ")) == len(blocks)


def test_stance_by_the_model(real_llm: Settings) -> None:
    texts = [
        "The government said homicides fell to a record low and El Salvador is now the safest country.",
        "Rights groups documented torture and arbitrary detentions of innocent people in the prisons.",
        "The prison is in Tecoluca, about 75 kilometres from the capital.",
    ]
    results = classify(texts, default_motion())
    OUTCOMES.append(f"stance: {[(r.stance, r.method) for r in results]}")
    for r in results:
        assert r.stance in LABELS
        assert r.method == f"llm: {MODEL}" or r.method == f"llm: {MODEL} (unreadable reply; offline verdict)"


def test_the_budget_cuts_a_real_server(real_llm: Settings, use_env: Any, llm_server: str) -> None:
    # Last: the server may still be reading the abandoned prompt afterwards.
    use_env(real_llm, llm=MODEL, llm_base_url=llm_server, llm_timeout="0.2", llm_max_retries="0")
    began = time.perf_counter()
    answer = ask(QUESTION)
    outcome("budget 0.2 s", answer)
    assert time.perf_counter() - began < 10
    assert answer.fallback == "timeout" and answer.model == "extractive" and answer.citations
