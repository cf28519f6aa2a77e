"""Sentence recall (bot.sentence_recall): the passage holding the index's nearest sentence joins the retrieved ones."""

from __future__ import annotations

from pathlib import Path

from bot.embeddings import embed_query
from bot.grounding import stored_sentence_vectors
from bot.manifest import source_text
from bot.retrieval import all_passages
from bot.sentence_recall import with_nearest_sentences

from .conftest import ingest_files

_FILLER = " ".join(
    f"The harbour board met on day {n} and discussed the budget, the berths, the cranes and the tides."
    for n in range(1, 40)
)
_FILES = {
    "board.md": f"# Harbour board minutes\n\n{_FILLER}\n\nThe new lighthouse on Gull Point was lit on 3 May 1911.\n\n"
    f"{_FILLER}\n",
    "fleet.md": "# The fishing fleet\n\nThe fleet counted forty trawlers in 1911. The lighthouse keeper kept bees.\n",
}


def test_the_passage_of_the_nearest_sentence_joins_and_is_not_repeated(tmp_path: Path) -> None:
    s = ingest_files(tmp_path, _FILES)
    q = embed_query("when was the gull point lighthouse first lit", s)
    board = [p for p in all_passages(s) if p.source_id == "board"]
    assert len(board) > 1, "the filler must spread the minutes over several passages"

    added = with_nearest_sentences([], q, None, s)
    assert len(added) == 1
    holding = added[0]
    assert "was lit on 3 May 1911" in holding.text
    assert source_text(holding.source_id, s)[holding.start : holding.end] == holding.text

    # the nearest sentence really is the nearest one of every stored sentence
    stored = {
        (sid, span): v for sid in ("board", "fleet") for span, v in (stored_sentence_vectors(sid, s) or {}).items()
    }
    best_sid, (start, _) = max(stored, key=lambda key: float(stored[key] @ q))
    assert best_sid == holding.source_id and holding.start <= start < holding.end

    others = [p for p in board if p.id != holding.id]
    again = with_nearest_sentences([*others, holding], q, None, s)
    assert [p.id for p in again] == [*(p.id for p in others), holding.id], "a passage already there is not added"

    only_fleet = with_nearest_sentences([], q, ["fleet"], s)
    assert [p.source_id for p in only_fleet] == ["fleet"], "the sources a question is limited to are respected"
