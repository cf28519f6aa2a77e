"""Text: sentence splitting with exact offsets, word tokens for BM25 and term weights, and the one sentence filter.

Every offset here is into the text given, so ``text[start:end]`` is the sentence itself: the offset contract of
passages, citations and cards rests on ``split_sentences``.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Words that end in a full stop without ending a sentence.
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof st sr jr vs etc gen sen rep gov col lt sgt capt cmdr adm pres inc ltd co corp dept no
    nos fig vol art sec ch pp jan feb mar apr jun jul aug sep sept oct nov dec approx est al e.g i.e u.s u.n
    u.k a.m p.m""".split()
)
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
_NEXT_START = re.compile(r"\s+[\"'“‘(\[]?[A-Z0-9¿¡ÁÉÍÓÚÑ]")

MIN_SENTENCE_CHARS = 20
"""Shortest sentence worth quoting or cutting a card from (shorter ones are headings, captions, list stubs).

A hand-set default, not fitted: answers used 20 and the card table 25 until they were made one; at 20 the shipped
corpus gains two complete sentences for cards ("Chile's figure was 36%.")."""
_WORD = re.compile(r"[^\W\d_]{3}")
_ENDS_SENTENCE = re.compile(r"[.!?…][\"'”’)\]]*$")

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
STOPWORDS = frozenset(
    """a an and are as at be but by for from has have he her his how i in is it its of on or she that the their
    them they this to was were what when where which who why will with would do does did about into than then
    there these those can could should many much more most some any say says said tell told
    according""".split()
)
_CURRENCY = re.compile(r"\$(?=\s?\d)|\bUS\$|\bUSD\b")
_PERCENT = re.compile(r"%|\bper\s+cent\b", re.IGNORECASE)


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


def is_sentence(sentence: str, *, complete: bool = False) -> bool:
    """Return True for a sentence that can be quoted: long enough and with a word in it.

    ``complete`` also asks that it end as a sentence does (a card's evidence; headings and link lines do not).
    """
    if len(sentence) < MIN_SENTENCE_CHARS or not _WORD.search(sentence):
        return False
    return not complete or bool(_ENDS_SENTENCE.search(sentence))


def stem(token: str) -> str:
    """Strip a common English inflection ('transferred' -> 'transferr', 'prisons' -> 'prison'); crude but stable."""
    for suffix in ("ing", "ed", "es", "s"):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3 and not token.isdigit():
            return token[: -len(suffix)]
    return token


@functools.lru_cache(maxsize=256)
def fold(text: str) -> str:
    """Return the text without accents ("Jurídico" -> "Juridico"), so a name matches however it is spelt."""
    if text.isascii():
        return text
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def tokenize(text: str) -> list[str]:
    """Lower-case, lightly stemmed word tokens without stop words or accents ("Hernández" and "hernandez" are one
    token); '$5' gives 'dollar', '%' gives 'percent'."""
    text = _PERCENT.sub(" percent ", _CURRENCY.sub(" dollar ", fold(text)))
    return [stem(t) for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS]
