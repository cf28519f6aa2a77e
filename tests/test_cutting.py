"""bot.debate.cutting's highlight: a share of the card's words, at most about HIGHLIGHT_WORDS on a long card."""

from __future__ import annotations

from bot.debate.cutting import HIGHLIGHT_MIN, HIGHLIGHT_SHARE, HIGHLIGHT_WORDS, highlight_spans, word_count
from bot.types import Span


def _underline(sentences: int) -> tuple[str, list[Span]]:
    """Return a text of sentences, each three five-word clauses, and each sentence as one underline span."""
    parts, spans, at = [], [], 0
    for i in range(sentences):
        sentence = f"Alpha beta gamma delta s{i}, epsilon zeta eta theta s{i}, iota kappa lambda mu s{i}."
        spans.append(Span(sentence, at, at + len(sentence)))
        parts.append(sentence)
        at += len(sentence) + 1
    return " ".join(parts), spans


def _highlighted(spans: list[Span], card_words: int) -> tuple[list[Span], int]:
    # Earlier sentences rank higher, so the order of choice is fixed.
    chosen = highlight_spans(spans, lambda s: -s.start / 1e6, card_words)
    return chosen, sum(word_count(h.text) for h in chosen)


def test_a_long_card_highlights_about_highlight_words() -> None:
    text, spans = _underline(80)  # 1,200 words, all underlined
    card_words = word_count(text)
    assert HIGHLIGHT_SHARE * card_words > HIGHLIGHT_WORDS + 10  # the share alone would highlight more
    chosen, total = _highlighted(spans, card_words)
    assert HIGHLIGHT_WORDS <= total <= HIGHLIGHT_WORDS + 5  # stops with the clause that reaches it
    for h in chosen:
        assert text[h.start : h.end] == h.text
        assert any(u.start <= h.start and h.end <= u.end for u in spans)


def test_a_short_card_keeps_its_share() -> None:
    text, spans = _underline(20)  # 300 words: the share binds, not the cap
    card_words = word_count(text)
    _, total = _highlighted(spans, card_words)
    assert HIGHLIGHT_MIN * card_words <= total <= HIGHLIGHT_SHARE * card_words + 5
    assert total < HIGHLIGHT_WORDS
