"""rebut(): the other side's verified evidence against an argument, A2 blocks, LLM analysis, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from bot.__main__ import main
from bot.debate.rebuttal import rebut
from bot.errors import InputError
from bot.phrases import BOT_WORDS_LABEL
from bot.settings import PROJECT_DIR, Settings
from tests.test_brief import assert_cards_exact
from tests.test_stance import RecordingChat, fake_llm_fixture  # noqa: F401 - provides the fake_llm fixture

HOMICIDES = "Homicides fell, so the crackdown works"


def test_homicides_argument_gets_con_evidence(corpus_index: Settings) -> None:
    result = rebut(HOMICIDES, settings=corpus_index)
    assert result.argument_stance == "pro" and result.answer_side == "con"
    (block,) = result.blocks
    assert block.answers == HOMICIDES
    assert 1 <= len(block.cards) <= 3
    assert not [c for c in block.cards if c.stance == "pro"]
    assert any(c.stance == "con" for c in block.cards)
    assert len({c.source_id for c in block.cards}) == len(block.cards)
    # It answers the point: how the figures are counted, or what the crackdown cost.
    words = (
        "undercount",
        "not include",
        "custody",
        "torture",
        "secret",
        "negotiat",
        "innocent",
        "unmarked",
        "without charges",
    )
    assert any(w in c.evidence.lower() for c in block.cards for w in words)
    assert_cards_exact(block.cards, corpus_index)
    assert block.analysis == ""


def test_con_argument_gets_pro_evidence(corpus_index: Settings) -> None:
    result = rebut("Thousands of innocent people are jailed without trial and tortured.", n=2, settings=corpus_index)
    assert result.argument_stance == "con" and result.answer_side == "pro"
    cards = result.blocks[0].cards
    assert cards and not [c for c in cards if c.stance == "con"]


def test_pasted_card_is_answered_point_by_point(corpus_index: Settings) -> None:
    argument = (
        "El Salvador ended 2024 with a record low of 114 homicides. "
        "Bukele's approval rating reached 91.9% at the close of 2025."
    )
    result = rebut(argument, n=2, settings=corpus_index)
    assert [b.answers for b in result.blocks] == [
        "El Salvador ended 2024 with a record low of 114 homicides.",
        "Bukele's approval rating reached 91.9% at the close of 2025.",
    ]
    cards = [c for b in result.blocks for c in b.cards]
    assert cards and all(c.stance != "pro" for c in cards)
    assert_cards_exact(cards, corpus_index)


@pytest.mark.parametrize("argument", ["", "  ", "...", None])
def test_bad_argument(corpus_index: Settings, argument: Any) -> None:
    with pytest.raises(InputError, match="argument"):
        rebut(argument, settings=corpus_index)


@pytest.mark.parametrize("n", [0, -2, 500, "3", 1.5, False])
def test_bad_n(corpus_index: Settings, n: Any) -> None:
    with pytest.raises(InputError, match="n"):
        rebut(HOMICIDES, n=n, settings=corpus_index)


def test_llm_analysis(corpus_index: Settings, fake_llm: Callable[..., RecordingChat]) -> None:
    # One reply serves as the (unreadable) stance of the argument and as each block's analysis.
    model = fake_llm("Analysis: The official figures leave out killings, so the fall is overstated.")
    result = rebut(HOMICIDES, n=2, settings=corpus_index)
    (block,) = result.blocks
    assert block.analysis == "The official figures leave out killings, so the fall is overstated."
    assert block.analysis_origin == BOT_WORDS_LABEL
    (prompt,) = [p for p in model.prompts if "An opponent argues" in p]
    assert HOMICIDES in prompt and prompt.count('<source n="') == len(block.cards)
    assert all(c.evidence in prompt for c in block.cards)


def test_cli_rebut(corpus_index: Settings, use_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    use_env(corpus_index)
    assert main(["rebut", HOMICIDES, "-n", "2"]) == 0
    out = capsys.readouterr().out
    assert f"A2: {HOMICIDES}" in out and "Answering with con evidence" in out
    assert main(["rebut", HOMICIDES, "-n", "0"]) == 2
    assert "n=0" in capsys.readouterr().err


def test_cli_rebut_subprocess(corpus_index: Settings) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(BOT_DATA_DIR=str(corpus_index.data_dir), BOT_CORPUS_DIR=str(corpus_index.corpus_dir))
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "rebut", HOMICIDES, "-n", "1", "--json"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["answer_side"] == "con" and len(data["blocks"][0]["cards"]) == 1
    assert data["blocks"][0]["cards"][0]["stance"] != "pro"
