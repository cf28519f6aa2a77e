"""brief() and cut_cards(): verified cards (evidence span, underline, highlight) from several sources per side;
contentions, "no card" and why, inputs, LLM tags, CLI."""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.__main__ import main
from bot.debate.brief import brief, cut_cards
from bot.debate.cards import short_tag, verified
from bot.debate.cutting import (
    CENTRAL_WEIGHT,
    HIGHLIGHT_MAX,
    HIGHLIGHT_MIN,
    HIGHLIGHT_WORDS,
    NEIGHBOUR_WEIGHT,
    SourceSentences,
    evidence_span,
    salience,
    word_count,
)
from bot.debate.evidence import card_from_dict
from bot.errors import InputError, NotFoundError
from bot.manifest import list_sources, source_text
from bot.phrases import BOT_WORDS_LABEL, YOUR_WORDS_LABEL
from bot.settings import Settings
from bot.text import split_sentences
from bot.types import Card, to_dict
from tests.conftest import ingest_files, make_settings
from tests.test_stance import RecordingChat, fake_llm_fixture  # noqa: F401 - provides the fake_llm fixture

MOTION = "El Salvador's mass-incarceration policy, symbolised by CECOT, is justified"


def assert_cards_exact(cards: list[Card], s: Settings) -> None:
    """Every card is the source's exact words, whole sentences, both layers inside and the highlight inside the
    underline; no two cards overlap."""
    for card in cards:
        text = source_text(card.source_id, s)
        assert text[card.start : card.end] == card.evidence
        sentences = split_sentences(text)
        assert card.start in {a for a, _ in sentences} and card.end in {b for _, b in sentences}
        assert card.highlight and card.underline
        for span in (*card.highlight, *card.underline):
            assert card.start <= span.start < span.end <= card.end
            assert text[span.start : span.end] == span.text
        for h in card.highlight:
            assert any(u.start <= h.start and h.end <= u.end for u in card.underline), (card.id, h)
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

    monkeypatch.setattr(importlib.import_module("bot.debate.cards"), "verified", amnesty_fails)
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
    assert data["pro"][0]["underline"] and data["pro"][0]["highlight"]
    plain = re.sub(r"</?u>|\*\*|\\", "", md.read_text(encoding="utf-8"))
    assert data["pro"][0]["evidence"] in plain
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
    from bot.debate.export import cite_parts

    expert = (
        "---\ntitle: Prison study\npublisher: Fixture Review\nauthor: Maria Lopez\ndate: '2023-05-02'\n"
        "url: https://example.org/study\ncredentials: professor of criminology at Fixture University\n---\n"
        "The study found that the prison holds 40,000 inmates and that overcrowding harms detainees.\n"
    )
    s = ingest_files(tmp_path, {"expert.md": expert})
    result = brief("The prison policy is justified", per_side=1, settings=s)
    card = (result.pro + result.con)[0]
    bold, rest = cite_parts(card)
    assert bold == "Lopez 23"
    assert "professor of criminology" in rest and "2023-05-02" in rest and '"Prison study"' in rest
    assert "Fixture Review" in rest and "https://example.org/study" in rest and "accessed 20" in rest


# --- cutting: the evidence span, the two layers, "no card" ------------------------------------------------------


def _sentences(words_per_sentence: list[int], paragraphs: list[int]) -> SourceSentences:
    """A made-up source: sentences of the given lengths on the given lines, every one in the sentence table."""
    starts = np.cumsum([0] + [10 * n + 1 for n in words_per_sentence[:-1]])
    return SourceSentences(
        source_id="made-up",
        starts=starts,
        ends=starts + 10 * np.array(words_per_sentence),
        paragraphs=np.array(paragraphs),
        words=np.array(words_per_sentence),
        rows=np.arange(len(words_per_sentence)),
    )


def test_evidence_span_takes_the_paragraph_then_the_paragraphs_that_carry_the_claim() -> None:
    # Paragraphs: 0 = sentences 0-1, 1 = 2-4 (the key, 3), 2 = 5, 3 = 6-7 (carries the claim: sentence 7).
    sents = _sentences([10, 10, 10, 10, 10, 10, 10, 10], [0, 0, 2, 2, 2, 4, 6, 6])
    relevance = np.array([0.1, 0.1, 0.2, 0.6, 0.2, 0.15, 0.1, 0.5])
    never = lambda i: False  # noqa: E731

    def span(**kw: Any) -> tuple[int, int]:
        args = {"min_words": 1, "max_words": 1000, "warrant": 0.3} | kw
        return evidence_span(sents, 3, relevance, never, **args)

    assert span(max_words=30) == (2, 4)  # the key paragraph, whole
    assert span(max_words=20) in {(2, 3), (3, 4)}  # too long: a window of it around the key
    assert span(max_words=10) == (3, 3)
    assert span(min_words=40, max_words=40) == (2, 5)  # the neighbour closer to the claim, up to the minimum
    # Paragraph 3 carries the claim: it joins once paragraph 2 (between) is in, if the card stays within the maximum.
    assert span(min_words=40) == (2, 7)
    assert span(min_words=40, max_words=55) == (2, 5)
    # A blocked sentence (another card, the other side) is never crossed, whatever the minimum.
    assert evidence_span(sents, 3, relevance, lambda i: i == 4, min_words=60, max_words=100, warrant=0.3) == (0, 3)


def test_salience_adds_the_cards_thread_and_the_warrants_neighbour() -> None:
    # The card is sentences 1-3; 1 is the key. Sentence 2 (next to the key) is off the card's thread, 3 is on it,
    # and both are as similar to the claim (0.3).
    vectors = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    relevance = np.array([0.1, 0.8, 0.3, 0.3, 0.2])
    ranked = salience(relevance, vectors, 1, 3)
    # Outside the card nothing changes, and sentences outside count as no one's neighbour.
    assert ranked[0] == relevance[0] and ranked[4] == relevance[4]
    assert ranked[1] == pytest.approx(0.8 + CENTRAL_WEIGHT * 2 / np.sqrt(5) + NEIGHBOUR_WEIGHT * 0.3)
    # Sentence 2 gains from its neighbour, the key; sentence 3 from being on the thread.
    assert ranked[2] == pytest.approx(0.3 + CENTRAL_WEIGHT * 1 / np.sqrt(5) + NEIGHBOUR_WEIGHT * 0.8)
    assert ranked[3] == pytest.approx(0.3 + CENTRAL_WEIGHT * 2 / np.sqrt(5) + NEIGHBOUR_WEIGHT * 0.3)
    assert ranked[3] > ranked[2] > relevance[2]


FLUORIDE = (
    "---\ntitle: Fluoride study\npublisher: Example Health Review\ndate: '2024-03-01'\n---\n"
    "Fluoridated tap water cut tooth decay among the town's children by a quarter over the ten-year study. "
    "The mineral hardens enamel while it is still forming, so cavities never get started. "
    "Enamel that formed with the mineral present stayed harder in every later scan. "
    "The town's library held an exhibition about the study's history in the spring. "
    "Sweets sold near schools are another cause of tooth decay in children, a separate survey of shops found. "
    "The survey counted the shops on each street by hand.\n"
)


def test_underline_follows_the_warrant_not_an_aside_that_shares_the_tags_words(tmp_path: Path) -> None:
    from bot.embeddings import embed_query, embed_texts

    s = ingest_files(tmp_path, {"fluoride.md": FLUORIDE})
    tag = "Fluoridation reduces tooth decay in children"
    body = FLUORIDE.split("---\n")[2].strip()
    sentences = [body[a:b] for a, b in split_sentences(body)]
    key, mechanism, aside = sentences[0], sentences[1], sentences[4]
    # The premise: by similarity to the tag alone, the aside on sweets outranks the mechanism that proves it.
    sims = dict(zip(sentences, embed_texts(sentences, s) @ embed_query(tag, s), strict=True))
    assert sims[key] > sims[aside] > sims[mechanism]
    card = cut_cards(tag, n=1, settings=s).cards[0]
    assert_cards_exact([card], s)
    underlined = " ".join(u.text for u in card.underline)
    assert key.rstrip(".") in underlined and mechanism.rstrip(".") in underlined
    assert "Sweets" not in underlined


def test_layers_on_a_real_brief(corpus_index: Settings) -> None:
    result = brief(MOTION, per_side=4, settings=corpus_index)
    cards = result.pro + result.con
    assert_cards_exact(cards, corpus_index)
    for card in cards:
        total = word_count(card.evidence)
        assert total <= corpus_index.card_max_words
        under = sum(word_count(u.text) for u in card.underline)
        high = sum(word_count(h.text) for h in card.highlight)
        assert 0 < high <= under <= total
        # The highlight is 15-35% of the card's words unless the underline (the key sentence at least) is shorter,
        # and stops at about HIGHLIGHT_WORDS words on a long card.
        assert high <= HIGHLIGHT_MAX * total or len(card.highlight) == 1, (card.id, high, total)
        longest = max(word_count(h.text) for h in card.highlight)
        assert high >= min(HIGHLIGHT_MIN * total, under, HIGHLIGHT_WORDS) - longest
        assert high <= HIGHLIGHT_WORDS + longest or len(card.highlight) == 1, (card.id, high)


def test_card_words_come_from_the_settings(corpus_index: Settings) -> None:
    small = corpus_index.model_copy(update={"card_min_words": 1, "card_max_words": 40})
    result = brief(MOTION, per_side=3, settings=small)
    cards = result.pro + result.con
    assert cards
    assert_cards_exact(cards, small)
    # At most 40 words, unless the key sentence alone is longer (a card never cuts a sentence).
    assert all(word_count(c.evidence) <= 40 or len(split_sentences(c.evidence)) == 1 for c in cards)
    with pytest.raises(ValueError, match="BOT_CARD_MIN_WORDS"):
        make_settings(Path("unused"), card_min_words=500, card_max_words=100)


def test_verified_checks_the_underline(corpus_index: Settings) -> None:
    card = brief(MOTION, per_side=1, settings=corpus_index).pro[0]
    u = card.underline[0]
    assert not verified(replace(card, underline=(replace(u, text=u.text + "x"),)), corpus_index)
    # An underline that holds none of the highlight: the highlight would be read aloud outside the warrant.
    tiny = (replace(u, end=u.start + 1, text=u.text[:1]),)
    assert not verified(replace(card, underline=tiny), corpus_index)
    # A card saved before the underline layer existed still verifies, and reads its highlight as the underline.
    old = replace(card, underline=())
    assert verified(old, corpus_index) and old.underline_layer == old.highlight
    assert card_from_dict(json.loads(json.dumps(to_dict(card)))) == card


def test_no_card_says_why(corpus_index: Settings) -> None:
    result = brief(
        MOTION,
        per_side=1,
        contentions={
            "pro": ["Homicides fell to a record low.", "Extortion of bus companies ended."],
            "con": ["Moon mining in the asteroid belt is profitable."],
        },
        settings=corpus_index,
    )
    by_id = {n.contention: n for n in result.no_cards}
    assert {c.contention for c in result.pro + result.con}.isdisjoint(by_id)
    moon = by_id["con-1"]
    assert moon.reason == "no-evidence" and moon.side == "con" and moon.closest < corpus_index.card_min_similarity
    assert f"{moon.closest:.2f}" in moon.message and "BOT_CARD_MIN_SIMILARITY" in moon.message
    assert by_id["pro-2"].reason == "no-room" and "more cards per side" in by_id["pro-2"].message
    assert result.con == [] and "con-1" in result.coverage["contentions_without_evidence"]


def test_cut_cards_for_a_tag(corpus_index: Settings) -> None:
    tag = "Hundreds of detainees have died in state custody"
    result = cut_cards(tag, n=2, settings=corpus_index)
    assert len(result.cards) == 2 and result.no_card is None and result.tag == tag
    assert_cards_exact(result.cards, corpus_index)
    assert all(c.tag == tag and c.tag_origin == YOUR_WORDS_LABEL and c.stance == "neutral" for c in result.cards)
    one = result.cards[1].source_id
    assert {c.source_id for c in cut_cards(tag, n=3, source_id=one, settings=corpus_index).cards} == {one}
    verbatim = cut_cards(tag, n=3, verbatim_only=True, settings=corpus_index).cards
    digests = {s.id for s in list_sources(corpus_index) if s.digest}
    assert verbatim and not {c.source_id for c in verbatim} & digests
    none = cut_cards("Moon mining in the asteroid belt is profitable", settings=corpus_index)
    assert none.cards == [] and none.no_card is not None and none.no_card.reason == "no-evidence"
    with pytest.raises(NotFoundError):
        cut_cards(tag, source_id="no-such-source", settings=corpus_index)
    with pytest.raises(InputError, match="tag"):
        cut_cards("  ", settings=corpus_index)
    with pytest.raises(InputError, match="n="):
        cut_cards(tag, n=0, settings=corpus_index)


def test_cli_cut(corpus_index: Settings, use_env: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    use_env(corpus_index)
    docx = tmp_path / "cut.docx"
    assert main(["cut", "Hundreds of detainees have died in state custody", "-n", "1", "--docx", str(docx)]) == 0
    out = capsys.readouterr().out
    assert "underlined: " in out and "read: " in out and YOUR_WORDS_LABEL in out and docx.exists()
    assert main(["cut", "Moon mining in the asteroid belt is profitable"]) == 1
    assert "No card: No sentence in the sources is close enough" in capsys.readouterr().out


def test_the_app_shows_both_layers_and_no_card(corpus_index: Settings) -> None:
    from bot.render import brief_html, card_html, esc

    moon = {"con": ["Moon mining in the asteroid belt is profitable."]}
    result = brief(MOTION, per_side=1, contentions=moon, settings=corpus_index)
    card = result.pro[0]
    html = card_html(card)
    evidence = html.split("</p><p>")[-1].split("</p>")[0]  # the evidence paragraph
    assert re.sub(r"</?(?:u|mark)>", "", evidence) == esc(card.evidence)
    assert re.findall(r"<mark>(.*?)</mark>", evidence) == [esc(h.text) for h in card.highlight]
    underlined = "".join(re.findall(r"<(?:u|mark)>(.*?)</(?:u|mark)>", evidence))
    assert underlined == "".join(esc(u.text) for u in card.underline)
    _, con, _ = brief_html(result)
    assert "No card</b> for con-1" in con and "BOT_CARD_MIN_SIMILARITY" in con
