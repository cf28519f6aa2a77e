"""Documents -> passages: sentence-aware, overlapping, with stable ids and character offsets."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from bot.settings import Settings
from bot.sources import Document

# Words that end in a full stop without ending a sentence.
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof st sr jr vs etc gen sen rep gov col lt sgt capt cmdr adm pres inc ltd co corp dept no
    nos fig vol art sec ch pp jan feb mar apr jun jul aug sep sept oct nov dec approx est al e.g i.e u.s u.n
    u.k a.m p.m""".split()
)
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
_NEXT_START = re.compile(r"\s+[\"'“‘(\[]?[A-Z0-9¿¡ÁÉÍÓÚÑ]")


@dataclass(frozen=True)
class Chunk:
    """A passage before embedding: offsets into the stored source text."""

    id: str
    start: int
    end: int
    text: str
    page: int | None


def split_sentences(text: str, base: int = 0) -> list[tuple[int, int]]:
    """Return ``(start, end)`` offsets (plus ``base``) of the sentences of ``text``; line breaks always end one."""
    spans: list[tuple[int, int]] = []
    line_start = 0
    for line in text.split("\n"):
        _split_line(line, base + line_start, spans)
        line_start += len(line) + 1
    return spans


def _split_line(line: str, base: int, out: list[tuple[int, int]]) -> None:
    start = 0
    for match in _BOUNDARY.finditer(line):
        end = match.end()
        if not _NEXT_START.match(line, end) or _is_abbreviation(line, match.start()):
            continue
        _add(line, base, start, end, out)
        start = end
    _add(line, base, start, len(line), out)


def _is_abbreviation(line: str, dot: int) -> bool:
    if line[dot] != ".":
        return False
    word_start = dot
    while word_start > 0 and (line[word_start - 1].isalpha() or line[word_start - 1] == "."):
        word_start -= 1
    word = line[word_start:dot].lower()
    if word in _ABBREVIATIONS:
        return True
    return len(word) == 1 and word.isalpha()  # an initial, as in "James E. Boasberg"


def _add(line: str, base: int, start: int, end: int, out: list[tuple[int, int]]) -> None:
    piece = line[start:end]
    stripped = piece.strip()
    if stripped:
        lead = len(piece) - len(piece.lstrip())
        out.append((base + start + lead, base + start + lead + len(stripped)))


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
