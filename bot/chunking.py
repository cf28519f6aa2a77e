"""Documents -> passages: sentence-aware, overlapping, with stable ids and character offsets."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bot.settings import Settings
from bot.sources import Document
from bot.text import split_sentences


@dataclass(frozen=True)
class Chunk:
    """A passage before embedding: offsets into the stored source text."""

    id: str
    start: int
    end: int
    text: str
    page: int | None


def passage_id(source_id: str, start: int, end: int, text: str) -> str:
    """Return a stable passage id from the source id, offsets and a hash of the content."""
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
    return f"{source_id}:{start}-{end}:{digest}"


def chunk_document(doc: Document, settings: Settings) -> list[Chunk]:
    """Group a document's sentences into overlapping passages of at most ``chunk_max_sentences``."""
    sentences = split_sentences(doc.text)
    max_n = settings.chunk_max_sentences
    overlap = min(settings.chunk_overlap, max_n - 1)
    chunks: list[Chunk] = []
    i = 0
    last_end_index = -1
    while i < len(sentences):
        j = i + 1
        while j < len(sentences) and j - i < max_n and sentences[j][1] - sentences[i][0] <= settings.chunk_size:
            j += 1
        if j - 1 > last_end_index:  # skip windows wholly inside the previous one
            start, end = sentences[i][0], sentences[j - 1][1]
            text = doc.text[start:end]
            chunks.append(Chunk(passage_id(doc.source_id, start, end, text), start, end, text, doc.page_at(start)))
            last_end_index = j - 1
        if j >= len(sentences):
            break
        i = max(j - overlap, i + 1)
    return chunks
