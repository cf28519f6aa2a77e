"""A policy the project never saw, end to end: ingest a small fixture corpus on a city congestion charge, cut a
brief with no contentions, rebut, clash, and check the sides against labels written with the texts (a known gap:
see the xfail)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.debate.brief import brief
from bot.debate.clash import clash
from bot.debate.rebuttal import rebut
from bot.settings import Settings
from bot.types import Card
from tests.conftest import make_settings

FOLDER = Path(__file__).parent / "fixtures" / "congestion"
LABELS = yaml.safe_load((FOLDER / "labels.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", name="congestion")
def congestion_fixture(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The congestion-charge corpus ingested on its own, with no motions file and no clash topics."""
    from bot.ingest import ingest

    root = tmp_path_factory.mktemp("congestion")
    s = make_settings(root / "data", FOLDER, motions_file=root / "none.yaml", clash_topics_file=root / "none.yaml")
    report = ingest(settings=s)
    assert not report.failed and len(report.added) == 7
    return s


def wrong_side(card: Card) -> list[str]:
    """Return the labelled sentences inside a card's evidence that take the other side."""
    other = "con" if card.stance == "pro" else "pro"
    return [x["text"] for x in LABELS["sentences"] if x["side"] == other and x["text"] in card.evidence]


def test_brief_with_no_contentions_discovers_them(congestion: Settings) -> None:
    result = brief(LABELS["motion"], per_side=3, settings=congestion)
    cards = result.pro + result.con
    assert len(result.pro) >= 2 and len(result.con) >= 2
    assert all(c.stance in ("pro", "con") and 0.5 <= c.side_confidence <= 1 for c in cards)
    # The contentions were discovered from the sources: each is a verbatim sentence, labelled as the bot's choice.
    assert result.discovered and set(result.discovered) <= set(result.contentions)
    texts = _sentences(congestion)
    assert all(result.contentions[cid] in texts for cid in result.discovered)


@pytest.mark.xfail(
    strict=True,
    reason="Known gap (README, 'Judgement'): on this invented news-style corpus the stance model reads 11 of 16 "
    "labelled sentences right; outcome sentences ('injuries fell', 'cleaner air') need world knowledge it lacks.",
)
def test_brief_cards_sit_on_the_labelled_side(congestion: Settings) -> None:
    result = brief(LABELS["motion"], per_side=3, settings=congestion)
    cards = result.pro + result.con
    assert [w for c in cards for w in wrong_side(c)] == []


def _sentences(s: Settings) -> list[str]:
    from bot.debate.sentences import sentence_table

    return sentence_table(s).texts


def test_rebut_reads_each_side_and_answers_with_the_other(congestion: Settings) -> None:
    for arg in LABELS["rebut"]:
        result = rebut(arg["text"], motion=LABELS["motion"], settings=congestion)
        cards = [c for b in result.blocks for c in b.cards]
        assert cards
        if result.unsure:  # it says so and answers both readings, each with the other side's cards
            assert {b.reading for b in result.blocks} == {"pro", "con"}
            assert all(c.stance != b.reading for b in result.blocks for c in b.cards)
        else:
            assert result.argument_stance == arg["side"]
            assert all(c.stance == result.answer_side != arg["side"] for c in cards)


def test_clash_finds_the_disputed_injury_count(congestion: Settings) -> None:
    points = clash(settings=congestion)
    injuries = [p for p in points if "injur" in p.topic]
    assert injuries, [p.topic for p in points]
    values = {s.value for s in injuries[0].sides}
    assert {"1,240", "1,480"} <= values
    assert len({s.card.source_id for s in injuries[0].sides}) >= 2
    for side in injuries[0].sides:
        assert side.value in side.card.evidence
