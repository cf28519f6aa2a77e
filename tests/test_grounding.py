"""Grounding checks on their own: splitting answers, finding quotes, verifying offsets."""

from __future__ import annotations

from bot.grounding import find_quote, split_answer, verify
from bot.manifest import source_text
from bot.settings import Settings


def test_split_answer_attaches_markers_to_their_sentence() -> None:
    parts = split_answer("CECOT holds 40,000 people [1]. Critics disagree. [2] Deaths rose [1, 3].")
    assert parts == [("CECOT holds 40,000 people.", [1]), ("Critics disagree.", [2]), ("Deaths rose.", [1, 3])]


def test_find_quote_tolerates_whitespace_and_curly_quotes_only() -> None:
    text = 'He said "it is over"  and\nleft.'
    assert find_quote("it is over", text) == (9, 19)
    start, end = find_quote("over”  and left", text.replace('"', "”")) or (0, 0)
    assert text.replace('"', "”")[start:end].startswith("over”")
    assert find_quote("it was over", text) is None


def test_verify_checks_offsets_against_the_stored_text(fixture_index: Settings) -> None:
    text = source_text("prison-capacity", fixture_index)
    start = text.index("about 40,000")
    assert verify("prison-capacity", "about 40,000", start, start + 12, fixture_index)
    assert not verify("prison-capacity", "about 40,001", start, start + 12, fixture_index)
    assert not verify("prison-capacity", "about 40,000", start + 1, start + 13, fixture_index)
    assert not verify("no-such-source", "about 40,000", start, start + 12, fixture_index)
