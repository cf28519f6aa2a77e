"""brief(): balanced, verified cards from several sources per side; contentions, inputs, LLM tags, CLI."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.__main__ import main
from bot.brief import brief, short_tag, verified
from bot.chunking import split_sentences
from bot.errors import InputError
from bot.manifest import source_text
from bot.phrases import BOT_WORDS_LABEL
from bot.settings import Settings
from bot.types import Card
from tests.test_stance import RecordingChat, fake_llm_fixture  # noqa: F401 - provides the fake_llm fixture

MOTION = "El Salvador's mass-incarceration policy, symbolised by CECOT, is justified"


def assert_cards_exact(cards: list[Card], s: Settings) -> None:
    """Every card is the source's exact words, whole sentences, highlights inside; no two cards overlap."""
    for card in cards:
        text = source_text(card.source_id, s)
        assert text[card.start : card.end] == card.evidence
        sentences = split_sentences(text)
        assert card.start in {a for a, _ in sentences} and card.end in {b for _, b in sentences}
        assert card.highlight
        for h in card.highlight:
            assert card.start <= h.start < h.end <= card.end
            assert text[h.start : h.end] == h.text
    for i, a in enumerate(cards):
        for b in cards[i + 1 :]:
            assert a.source_id != b.source_id or a.end <= b.start or b.end <= a.start, (a.id, b.id)


def test_default_motion_brief(corpus_index: Settings) -> None:
    result = brief(MOTION, settings=corpus_index)
    print(f"\nbrief: {len(result.pro)} pro, {len(result.con)} con in {result.coverage['seconds']:.3f} s")
    assert len(result.pro) >= 4 and len(result.con) >= 4
    assert len({c.source_id for c in result.pro}) >= 3 and len({c.source_id for c in result.con}) >= 3
    assert all(c.stance == "pro" for c in result.pro) and all(c.stance == "con" for c in result.con)
    assert_cards_exact(result.pro + result.con, corpus_index)
    for card in result.pro + result.con:
        assert card.tag and card.tag_origin == BOT_WORDS_LABEL
        assert card.cite.title and card.cite.publisher and card.cite.url and card.cite.year.isdigit()
        assert card.contention in result.contentions
        assert card.contention.startswith(card.stance)
    cov = result.coverage
    assert cov["pro"]["cards"] == len(result.pro) and cov["con"]["sources"] == sorted({c.source_id for c in result.con})
    assert set(cov["contentions_without_evidence"]) <= set(result.contentions)
    assert cov["unverified_dropped"] == 0
    assert result.model == "extractive"


def test_per_side_and_custom_contentions(corpus_index: Settings) -> None:
    result = brief(
        MOTION,
        per_side=2,
        contentions={
            "pro": ["Homicides fell to a record low."],
            "con": ["Detainees died in custody.", "Moon mining in the asteroid belt is profitable."],
        },
        settings=corpus_index,
    )
    assert len(result.pro) <= 2 and len(result.con) <= 2 and result.pro and result.con
    assert list(result.contentions) == ["pro-1", "con-1", "con-2"]
    assert {c.contention for c in result.con} <= {"con-1", "con-2"}
    assert "con-2" in result.coverage["contentions_without_evidence"]
    assert "con-1" not in result.coverage["contentions_without_evidence"]


def test_unknown_motion_still_briefs(corpus_index: Settings) -> None:
    result = brief("Mass incarceration in El Salvador reduced gang violence", per_side=2, settings=corpus_index)
    assert result.pro or result.con
    assert_cards_exact(result.pro + result.con, corpus_index)


def test_unverifiable_cards_are_dropped(corpus_index: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    def amnesty_fails(card: Card, s: Settings) -> bool:
        return card.source_id != "amnesty-behind-the-veil-2023" and verified(card, s)

    monkeypatch.setattr(importlib.import_module("bot.brief"), "verified", amnesty_fails)
    result = brief(MOTION, per_side=8, settings=corpus_index)
    assert "amnesty-behind-the-veil-2023" not in {c.source_id for c in result.pro + result.con}
    assert result.coverage["unverified_dropped"] >= 1


def test_verified_rejects_tampered_cards(corpus_index: Settings) -> None:
    card = brief(MOTION, per_side=1, settings=corpus_index).con[0]
    assert verified(card, corpus_index)
    assert not verified(replace(card, evidence=card.evidence + " And more."), corpus_index)
    assert not verified(replace(card, start=card.start + 1), corpus_index)
    h = card.highlight[0]
    assert not verified(replace(card, highlight=(replace(h, text=h.text.upper()),)), corpus_index)
    assert not verified(replace(card, highlight=(replace(h, start=card.end, end=card.end + 5),)), corpus_index)


@pytest.mark.parametrize("motion", ["", "   ", "?!", None, "x" * 5000])
def test_bad_motion(corpus_index: Settings, motion: Any) -> None:
    with pytest.raises(InputError, match="motion"):
        brief(motion, settings=corpus_index)


@pytest.mark.parametrize("per_side", [0, -1, 1000, "5", 2.5, True])
def test_bad_per_side(corpus_index: Settings, per_side: Any) -> None:
    with pytest.raises(InputError, match="per_side"):
        brief(MOTION, per_side=per_side, settings=corpus_index)


def test_short_tag() -> None:
    assert short_tag("Short claim.") == "Short claim"
    long = (
        "Other governments facing gang violence, such as Ecuador and Honduras, are copying the Bukele model, "
        "which shows it is seen as effective by its neighbours."
    )
    assert short_tag(long) == "Other governments facing gang violence are copying the Bukele model"


def test_llm_tags_and_side_check(corpus_index: Settings, fake_llm: Callable[..., RecordingChat]) -> None:
    # One reply for every prompt: unreadable as a stance (the offline side stands), used as the tag.
    model = fake_llm("Tag: Killings collapsed under the crackdown")
    result = brief(MOTION, per_side=2, settings=corpus_index)
    cards = result.pro + result.con
    assert len(result.pro) == 2 and len(result.con) == 2
    assert all(c.tag == "Killings collapsed under the crackdown" and c.tag_origin == BOT_WORDS_LABEL for c in cards)
    assert result.model == "fake-list-chat-model"
    tag_prompts = [p for p in model.prompts if "Write the tag" in p]
    stance_prompts = [p for p in model.prompts if "Which side does this passage help" in p]
    assert len(tag_prompts) == 4 and len(stance_prompts) >= 4
    assert {c.evidence for c in cards} <= {p.split("<evidence>\n")[1].split("\n</evidence>")[0] for p in tag_prompts}
    assert_cards_exact(cards, corpus_index)


def test_llm_side_check_drops_disagreeing_cards(corpus_index: Settings, fake_llm: Callable[..., Any]) -> None:
    fake_llm("pro")  # the model calls everything pro, so no con card survives its check
    result = brief(MOTION, per_side=2, settings=corpus_index)
    assert len(result.pro) == 2 and result.con == []


def test_cli_brief(corpus_index: Settings, use_env: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    use_env(corpus_index)
    md = tmp_path / "brief.md"
    assert main(["brief", MOTION, "--per-side", "2", "--json", "--md", str(md)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["pro"]) == 2 and len(data["con"]) == 2
    assert data["pro"][0]["evidence"] in md.read_text(encoding="utf-8").replace("**", "").replace("\\", "")
    assert main(["brief", MOTION, "--per-side", "1"]) == 0
    out = capsys.readouterr().out
    assert "== PRO: 1 cards" in out and "== CON: 1 cards" in out and BOT_WORDS_LABEL in out
    assert main(["brief", MOTION, "--per-side", "0"]) == 2
    assert "per_side" in capsys.readouterr().err


def test_tags_are_short_and_never_cut_with_an_ellipsis(corpus_index: Settings) -> None:
    motion = "El Salvador's mass-incarceration policy, symbolised by CECOT, is justified"
    for m in (motion, "Other Latin American countries should adopt Bukele's security model"):
        result = brief(m, per_side=5, settings=corpus_index)
        for card in result.pro + result.con:
            assert "..." not in card.tag and "…" not in card.tag
            assert len(card.tag.split()) <= 15, card.tag


def test_full_cite_with_qualifications_and_access_date(tmp_path: Path) -> None:
    from bot.export import cite_parts
    from bot.ingest import ingest
    from tests.conftest import make_settings

    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "expert.md").write_text(
        "---\ntitle: Prison study\npublisher: Fixture Review\nauthor: Maria Lopez\ndate: '2023-05-02'\n"
        "url: https://example.org/study\ncredentials: professor of criminology at Fixture University\n---\n"
        "The study found that the prison holds 40,000 inmates and that overcrowding harms detainees.\n",
        encoding="utf-8",
    )
    s = make_settings(tmp_path / "data", folder)
    ingest(settings=s)
    result = brief("The prison policy is justified", per_side=1, settings=s)
    card = (result.pro + result.con)[0]
    bold, rest = cite_parts(card)
    assert bold == "Lopez 23"
    assert "professor of criminology" in rest and "2023-05-02" in rest and '"Prison study"' in rest
    assert "Fixture Review" in rest and "https://example.org/study" in rest and "accessed 20" in rest
