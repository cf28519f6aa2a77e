"""Cut a card as a debater does: the evidence span, the underline (the warrant) and the highlight (read aloud).

A card grows from a key sentence, the one closest to the claim it must prove:

* **Evidence span.** The key sentence's paragraph, whole when it fits ``card_max_words`` (else the window of it, that
  long, holding the most warrant); then sentences next to it until the card has ``card_min_words``; then every
  neighbouring paragraph that also carries the claim, while the card stays within ``card_max_words``. A *warrant*
  sentence is one at least ``card_min_similarity`` similar to the claim (the test that makes a sentence a key
  sentence in the first place). The span starts and ends at sentence boundaries, never inside another card, and
  never takes in a sentence the caller blocks (a brief blocks sentences that take the other side).
* **Salience.** Inside the span a sentence ranks by its similarity to the claim, plus its similarity to the card's
  own centroid (its main thread) and the closer neighbour's similarity to the claim (the sentence that carries the
  causal chain on from the warrant), weighted by ``CENTRAL_WEIGHT`` and ``NEIGHBOUR_WEIGHT``.
* **Underline.** The sentences of the span with the highest salience, best first, until ``UNDERLINE_SHARE`` of the
  card's words, the key sentence always; each stripped of a leading adverbial or attribution ("According to X,", "On 5
  June,"), a trailing "..., X said" and parentheses.
* **Highlight.** Clauses of the underline (split at commas, dashes, semicolons and before "but", "while",
  "although", "because", "which"), best first, until ``HIGHLIGHT_SHARE`` of the card's words, or about
  ``HIGHLIGHT_WORDS`` words on a long card (what a speech has time to read). A clause scores its
  sentence's salience, plus a little when it holds a figure. Each highlighted clause is a whole run
  of the source's words (causal words and all), so it reads as a fragment of the original sentence.

Every span is ``text[start:end]`` of the stored source; ``bot.debate.brief.verified`` checks them all. The shares were
fitted on the even-numbered human-cut cards of ``python -m bot eval --cards`` and measured on the odd ones too
(see ``bot.debate.cards_eval``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.text import split_sentences
from bot.types import Span

UNDERLINE_SHARE = 0.3
"""Underline the most salient sentences until this share of the card's words is underlined (fitted: 0.3 of 0.3-0.9;
with the salience, 0.3 of 0.25-0.4; the 14 human cards underline 4-73% of the text, a quarter on average)."""
HIGHLIGHT_SHARE = 0.2
"""Highlight the best clauses of the underline until this share of the card's words (fitted: 0.2 of 0.15-0.35; with
the salience below, 0.16 scores 0.01 more on the fit half, within the 0.02 a change must gain to be taken; humans
highlight 15-35% of a card's words, the 14 cards 6-32%)."""
HIGHLIGHT_MIN, HIGHLIGHT_MAX = 0.15, 0.35
"""The highlight's share of the card's words stays within these bounds (when the underline allows)."""
HIGHLIGHT_WORDS = 180
"""The highlight stops at about this many words however long the card: it is what is read aloud, and a speech has
time for only so many words of each card (the 14 human cards highlight 25-230 words, texts of 155-2,530). Binds only
on cards over 900 words (HIGHLIGHT_SHARE of them). Fitted on the even-numbered human cards: 180 of 80-260 and none;
highlight F1 there 0.464 -> 0.480, no card lower on either half. That is below the 0.02 a change must gain to be
taken; it was taken because it lowered no card's F1 (6 of the 13 scored cards rose, 5 of them in the fit half); see
``bot.debate.cards_eval``."""
FIGURE_BONUS = 0.05
"""Added to a clause's score when it holds a figure (fitted: 0.05 of 0, 0.05, 0.15). Bonuses for the claim's own
words and for causal words were fitted too, and left out: at every weight tried they lowered the fit half's score."""
CENTRAL_WEIGHT = 1.0
"""Within a card, a sentence's salience is its similarity to the claim plus this times its similarity to the card's
centroid (the mean of its sentences' embeddings): the card's main thread, not its asides. Fitted with
NEIGHBOUR_WEIGHT on the fit half's sentences (the per-card AUC of salience for the sentences a person underlined or
highlighted: 1.0 of 0-3)."""
NEIGHBOUR_WEIGHT = 0.5
"""Plus this times the closer of its two neighbours' similarity to the claim: the sentence next to the warrant
carries its causal chain (fitted as above: 0.5 of 0-1)."""
MIN_CLAUSE_WORDS = 3
"""Shorter pieces join the clause before them: a highlight of one or two words does not read."""

_WORD = re.compile(r"\w+")
_FIGURE = re.compile(r"\d")
_LEAD = re.compile(
    r"^(?:(?:according to|when|if|while|although|though|as|after|before|since|despite|in|on|at|by|for|with|during|"
    r"under|over|in addition|moreover|however|furthermore|indeed|nevertheless|yet|still|instead|first|second|third|"
    r"finally|meanwhile|then)\b[^,;:]{0,80},\s+)",
    re.I,
)
_TAIL = re.compile(
    r",\s*(?:according to [^,]{1,80}|(?:the |a )?[\w.'’ ()-]{1,60}\s(?:said|says|reported|noted|added|wrote|"
    r"stated|recalled|told [\w ]{1,40}))[.!?…]?[\"'”’)\]]*$",
    re.I,
)
_PAREN = re.compile(r"\s*(?:\([^()]{0,300}\)|\[[^\[\]]{0,300}\])")
_CLAUSE_BREAK = re.compile(
    r"\s*(?:[,;:](?=\s)|[—–]|\s-\s|-{2,})\s*|\s+(?=(?:but|while|whereas|although|because|which)\s)", re.I
)


@dataclass(frozen=True)
class SourceSentences:
    """Every sentence of one stored source, with its paragraph (line), word count and sentence-table row (-1: none)."""

    source_id: str
    starts: np.ndarray
    ends: np.ndarray
    paragraphs: np.ndarray
    words: np.ndarray
    rows: np.ndarray


@dataclass(frozen=True)
class Cut:
    """A card's evidence span and its two layers, as offsets into the stored source text."""

    start: int
    end: int
    underline: tuple[Span, ...]
    highlight: tuple[Span, ...]
    key: int
    """Index (into the source's sentences) of the key sentence."""


def word_count(text: str) -> int:
    """Return the number of word tokens in a text."""
    return len(_WORD.findall(text))


def source_sentences(source_id: str, text: str, table_starts: np.ndarray, table_rows: np.ndarray) -> SourceSentences:
    """Return the source's sentences; ``table_starts``/``table_rows`` map a start offset to its sentence-table row."""
    spans = split_sentences(text)
    starts = np.array([a for a, _ in spans], dtype=np.int64)
    ends = np.array([b for _, b in spans], dtype=np.int64)
    breaks = np.array([m.start() for m in re.finditer("\n", text)], dtype=np.int64)
    row_of = dict(zip(table_starts.tolist(), table_rows.tolist(), strict=True))
    return SourceSentences(
        source_id=source_id,
        starts=starts,
        ends=ends,
        paragraphs=np.searchsorted(breaks, starts).astype(np.int64),
        words=np.array([word_count(text[a:b]) for a, b in spans], dtype=np.int64),
        rows=np.array([row_of.get(a, -1) for a in starts.tolist()], dtype=np.int64),
    )


def evidence_span(
    sents: SourceSentences,
    key: int,
    relevance: np.ndarray,
    blocked: Callable[[int], bool],
    *,
    min_words: int,
    max_words: int,
    warrant: float,
    padding: Callable[[int], bool] | None = None,
) -> tuple[int, int]:
    """Return the card's first and last sentence (indices into ``sents``) around the key sentence.

    ``relevance`` holds each sentence's similarity to the claim (-1 for sentences without one), ``blocked`` tells
    which sentences a card may not take in, and ``warrant`` is the similarity that makes a sentence carry the claim.
    ``padding`` tells which sentences of another paragraph may be taken in only to reach ``min_words`` (default:
    any that is not blocked; a brief refuses sentences whose side the stance model cannot tell).
    """
    n = len(sents.starts)
    words = sents.words

    def ok(i: int) -> bool:
        return 0 <= i < n and not blocked(i)

    # The key paragraph: the run of usable sentences around the key sentence, on its line.
    para = sents.paragraphs[key]
    lo, hi = key, key
    while ok(lo - 1) and sents.paragraphs[lo - 1] == para:
        lo -= 1
    while ok(hi + 1) and sents.paragraphs[hi + 1] == para:
        hi += 1
    a, b = _best_window(lo, hi, key, words, np.maximum(relevance - warrant, 0.0), max_words)
    total = int(words[a : b + 1].sum())

    # Too short: take in the neighbouring sentences, the closer to the claim first.
    def pad(i: int) -> bool:
        return ok(i) and (sents.paragraphs[i] == para or padding is None or padding(i))

    while total < min_words:
        options = [i for i in (a - 1, b + 1) if pad(i) and total + int(words[i]) <= max_words]
        if not options:
            break
        pick = max(options, key=lambda i: float(relevance[i]))
        a, b = min(a, pick), max(b, pick)
        total += int(words[pick])

    # Neighbouring paragraphs that carry the claim too, whole, while the card stays within the maximum.
    grown = True
    while grown:
        grown = False
        for step in (-1, 1):
            edge = a if step < 0 else b
            if not ok(edge + step):
                continue
            lo2 = hi2 = edge + step
            p = sents.paragraphs[lo2]
            while ok(lo2 + step) and sents.paragraphs[lo2 + step] == p:
                lo2 += step
            lo2, hi2 = min(lo2, hi2), max(lo2, hi2)
            extra = int(words[lo2 : hi2 + 1].sum())
            carries = bool((relevance[lo2 : hi2 + 1] >= warrant).any())
            # A paragraph only partly taken by the window's growth above is finished first.
            if carries and total + extra <= max_words:
                a, b = min(a, lo2), max(b, hi2)
                total += extra
                grown = True
    # A card neither starts nor ends with a heading or a caption (a sentence the table does not hold).
    while a < key and sents.rows[a] < 0:
        a += 1
    while b > key and sents.rows[b] < 0:
        b -= 1
    return a, b


def _best_window(lo: int, hi: int, key: int, words: np.ndarray, gain: np.ndarray, max_words: int) -> tuple[int, int]:
    """Return the window of sentences lo..hi holding the key, at most max_words long, with the most gain.

    Ties go to the longer window, then to the one centred on the key.
    """
    if int(words[lo : hi + 1].sum()) <= max_words:
        return lo, hi
    csum = np.concatenate([[0], np.cumsum(words[lo : hi + 1])])
    gsum = np.concatenate([[0.0], np.cumsum(gain[lo : hi + 1])])
    best: tuple[float, int, int] | None = None
    pair = (key, key)
    for a in range(lo, key + 1):
        # the last sentence b such that a..b fits: csum[b - lo + 1] - csum[a - lo] <= max_words
        b = min(hi, int(np.searchsorted(csum, csum[a - lo] + max_words, side="right")) - 2 + lo)
        if b < key:
            continue
        score = (
            round(float(gsum[b - lo + 1] - gsum[a - lo]), 9),
            int(csum[b - lo + 1] - csum[a - lo]),
            -abs((key - a) - (b - key)),
        )
        if best is None or score > best:
            best, pair = score, (a, b)
    return pair


def core_spans(text: str, start: int, end: int) -> list[Span]:
    """Return the claim-carrying part of a sentence: without a leading adverbial or attribution, a trailing
    "..., X said", parentheses or the final stop. A sentence with nothing to strip is one span."""
    sentence = text[start:end]
    a, b = 0, len(sentence)
    lead = _LEAD.match(sentence)
    if lead and word_count(sentence[lead.end() :]) >= 5:
        a = lead.end()
    tail = _TAIL.search(sentence, a)
    if tail and word_count(sentence[a : tail.start()]) >= 5:
        b = tail.start()
    pieces, at = [], a
    for match in _PAREN.finditer(sentence, a, b):
        pieces.append((at, match.start()))
        at = match.end()
    pieces.append((at, b))
    out = []
    for x, y in pieces:
        x, y = _trim(sentence, x, y)
        if y > x and word_count(sentence[x:y]):
            out.append(Span(sentence[x:y], start + x, start + y))
    return out or [Span(sentence, start, end)]


def _trim(s: str, a: int, b: int) -> tuple[int, int]:
    """Shrink [a, b) of s past surrounding spaces and punctuation (a closing stop or comma is not read)."""
    while a < b and (s[a].isspace() or s[a] in ",;:"):
        a += 1
    while b > a and (s[b - 1].isspace() or s[b - 1] in ",;:.!?…"):
        b -= 1
    return a, b


def clauses(span: Span) -> list[Span]:
    """Split an underlined span into clauses of at least MIN_CLAUSE_WORDS words (shorter pieces join the last)."""
    text = span.text
    cuts = [0]
    for match in _CLAUSE_BREAK.finditer(text):
        if match.start() > cuts[-1]:
            cuts.append(match.start())
    cuts.append(len(text))
    raw = [(cuts[i], cuts[i + 1]) for i in range(len(cuts) - 1)]
    merged: list[tuple[int, int]] = []
    for a, b in raw:
        if merged and word_count(text[a:b]) < MIN_CLAUSE_WORDS:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    if len(merged) > 1 and word_count(text[merged[0][0] : merged[0][1]]) < MIN_CLAUSE_WORDS:
        merged[1] = (merged[0][0], merged[1][1])
        merged.pop(0)
    out = []
    for a, b in merged:
        a, b = _trim(text, a, b)
        if b > a and word_count(text[a:b]):
            out.append(Span(text[a:b], span.start + a, span.start + b))
    return out


def underline_spans(
    text: str,
    sents: SourceSentences,
    a: int,
    b: int,
    key: int,
    relevance: np.ndarray,
    excluded: Callable[[int], bool],
    share: float | None = None,
) -> list[Span]:
    """Return the warrant: the core spans of the span's sentences of highest ``relevance`` (the cut passes their
    salience), the key sentence first. ``share`` defaults to UNDERLINE_SHARE."""
    budget = (UNDERLINE_SHARE if share is None else share) * float(sents.words[a : b + 1].sum())
    others = [i for i in range(a, b + 1) if i != key and sents.rows[i] >= 0 and not excluded(i)]
    order = [key, *sorted(others, key=lambda i: -float(relevance[i]))]
    chosen: list[Span] = []
    total = 0
    for i in order:
        if chosen and total >= budget:
            break
        spans = core_spans(text, int(sents.starts[i]), int(sents.ends[i]))
        chosen += spans
        total += sum(word_count(s.text) for s in spans)
    return sorted(chosen, key=lambda s: s.start)


def highlight_spans(
    underline: Sequence[Span],
    sentence_relevance: Callable[[Span], float],
    card_words: int,
    share: float | None = None,
) -> list[Span]:
    """Return the read-aloud clauses of the underline, best first until ``share`` of the card's words (at most
    about HIGHLIGHT_WORDS words).

    A clause scores its sentence's ``sentence_relevance`` (the cut passes its salience), plus FIGURE_BONUS when it
    holds a figure; ``share`` defaults to HIGHLIGHT_SHARE."""
    share = HIGHLIGHT_SHARE if share is None else share
    scored = []
    for span in underline:
        base = sentence_relevance(span)
        for clause in clauses(span):
            scored.append((base + FIGURE_BONUS * bool(_FIGURE.search(clause.text)), clause))
    scored.sort(key=lambda x: (-x[0], x[1].start))
    target = min(min(max(share, HIGHLIGHT_MIN), HIGHLIGHT_MAX) * card_words, HIGHLIGHT_WORDS)
    chosen: list[Span] = []
    total = 0
    for _, clause in scored:
        n = word_count(clause.text)
        if chosen and total + n > HIGHLIGHT_MAX * card_words:
            continue
        chosen.append(clause)
        total += n
        if total >= target:
            break
    return sorted(chosen, key=lambda s: s.start)


def salience(relevance: np.ndarray, vectors: np.ndarray, a: int, b: int) -> np.ndarray:
    """Return each sentence's salience in the card a..b: similarity to the claim, to the card's centroid and the
    closer neighbour's similarity to the claim (CENTRAL_WEIGHT, NEIGHBOUR_WEIGHT); sentences outside keep theirs."""
    out = relevance.astype(float).copy()
    inside = vectors[a : b + 1]
    centroid = inside.sum(axis=0)
    norm = float(np.linalg.norm(centroid))
    central = inside @ (centroid / norm) if norm > 0 else np.zeros(len(inside))
    rel = relevance[a : b + 1]
    before = np.concatenate([[-1.0], rel[:-1]])
    after = np.concatenate([rel[1:], [-1.0]])
    out[a : b + 1] = rel + CENTRAL_WEIGHT * central + NEIGHBOUR_WEIGHT * np.maximum(before, after)
    return out


def cut(
    text: str,
    sents: SourceSentences,
    key: int,
    relevance: np.ndarray,
    *,
    blocked: Callable[[int], bool],
    excluded: Callable[[int], bool],
    min_words: int,
    max_words: int,
    warrant: float,
    padding: Callable[[int], bool] | None = None,
    vectors: np.ndarray | None = None,
) -> Cut:
    """Cut a card around the key sentence: its evidence span, underline and highlight.

    ``vectors`` holds the sentences' embeddings (rows of ``sents``; zeros for a sentence without one): with them the
    layers follow each sentence's salience (see ``salience``), else its similarity to the claim."""
    a, b = evidence_span(
        sents, key, relevance, blocked, min_words=min_words, max_words=max_words, warrant=warrant, padding=padding
    )
    ranked = relevance if vectors is None else salience(relevance, vectors, a, b)
    underline = underline_spans(text, sents, a, b, key, ranked, excluded)
    starts = sents.starts

    def sentence_relevance(span: Span) -> float:
        i = int(np.searchsorted(starts, span.start, side="right")) - 1
        return float(ranked[i])

    card_words = int(sents.words[a : b + 1].sum())
    highlight = highlight_spans(underline, sentence_relevance, card_words)
    return Cut(int(starts[a]), int(sents.ends[b]), tuple(underline), tuple(highlight), key)
