"""Chunking: sentence-aware overlapping passages with stable ids and exact offsets."""

from __future__ import annotations

import itertools
from pathlib import Path

from bot.chunking import chunk_document, passage_id
from bot.settings import Settings
from bot.sources import Document, read_source
from bot.text import split_sentences

from .conftest import SHIPPED_CORPUS, make_settings


def _doc(text: str) -> Document:
    return Document("doc", text, {}, "memory")


def test_sentences_respect_abbreviations_and_initials() -> None:
    text = 'Judge James E. Boasberg ruled on March 15. The U.S. government appealed. "It is over," he said.'
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == [
        "Judge James E. Boasberg ruled on March 15.",
        "The U.S. government appealed.",
        '"It is over," he said.',
    ]


def test_line_breaks_end_sentences() -> None:
    text = "A heading without a stop\nThe body starts here. It goes on."
    a, b = split_sentences(text)[0]
    assert text[a:b] == "A heading without a stop"


def test_passages_overlap_and_slice_exactly(settings: Settings) -> None:
    text = " ".join(f"Sentence number {i} says something about prisons." for i in range(10))
    chunks = chunk_document(_doc(text), settings)
    assert len(chunks) > 1
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert len(split_sentences(chunk.text)) <= settings.chunk_max_sentences
    for before, after in itertools.pairwise(chunks):
        assert after.start < before.end, "consecutive passages share a sentence"
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    for a, b in split_sentences(text):
        assert set(range(a, b)) <= covered, "no sentence is left out"


def test_chunk_size_limits_passage_length(tmp_path: Path) -> None:
    s = make_settings(tmp_path, chunk_size=120, chunk_max_sentences=5)
    text = " ".join(f"This is a rather long sentence number {i} about the prison system." for i in range(8))
    for chunk in chunk_document(_doc(text), s):
        assert len(chunk.text) <= 120 or len(split_sentences(chunk.text)) == 1


def test_ids_are_stable_and_content_addressed(settings: Settings) -> None:
    doc = read_source(SHIPPED_CORPUS / "cecot-article.md", settings)
    first = chunk_document(doc, settings)
    again = chunk_document(read_source(SHIPPED_CORPUS / "cecot-article.md", settings), settings)
    assert [c.id for c in first] == [c.id for c in again]
    assert len({c.id for c in first}) == len(first)
    c = first[0]
    assert c.id == passage_id("cecot-article", c.start, c.end, c.text)
    assert passage_id("cecot-article", c.start, c.end, c.text + "x") != c.id
