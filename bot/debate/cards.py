"""Cards: key-sentence candidates for a side, and the picker that cuts them into verified cards.

A card grows from a key sentence that takes the side and is close to one of that side's contentions:
``bot.debate.cutting`` widens it to the paragraph(s) a debater would read and marks the underline and the
highlight inside it. Cards are picked greedily, best first, with a penalty for a source or contention already
used, so a side draws on several sources and covers several contentions; no two cards share any evidence. Each
card is checked against the stored source text (``verified``) before it is returned, and dropped if it does not
match. ``bot.debate.brief``, ``bot.debate.rebuttal`` and ``bot.debate.clash`` all cut their cards here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from bot.debate.cutting import Cut, SourceSentences, cut, source_sentences
from bot.debate.motions import Contention, Motion, Side
from bot.debate.sentences import SentenceTable
from bot.debate.stance_model import load_model
from bot.embeddings import embed_query
from bot.errors import NotFoundError
from bot.manifest import source_info, source_text
from bot.phrases import BOT_WORDS_LABEL, YOUR_WORDS_LABEL
from bot.settings import Settings
from bot.types import Card, Cite, Span, Stance

K = TypeVar("K")

SOURCE_PENALTY = 0.15
"""Subtracted from a candidate's score for each card its source already has on that side. Hand-set default, not
fitted: a second card from the same source must be 0.15 closer (cosine) than the best card from another source."""
CONTENTION_PENALTY = 0.06
"""Subtracted for each card already supporting the same contention. Hand-set default, not fitted: smaller than
SOURCE_PENALTY, since several cards for one contention are normal in a brief and several from one source are not."""
STANCE_BONUS = 0.15
"""Times (P(side) - 0.5): a clear-cut sentence beats a borderline one of equal relevance. Set by hand: at 0.15 a
sentence of side probability 1.0 outranks one of 0.6 only when their similarities differ by less than 0.06."""
TAG_WORDS = 15
"""Longest extractive tag, in words: a tag is read aloud in a round (a style choice, not fitted)."""
TAG_FROM_CONTENTION = 0.5
"""A card is tagged with its contention only when its key sentence is at least this similar to it. Hand-set
default, not fitted; above BOT_CARD_MIN_SIMILARITY (0.3), so a card only loosely on its contention gets its own
words as the tag instead."""

_ASIDE = re.compile(r",\s*(?:such as|including|like|e\.g\.)[^,]{1,60},", re.I)
_CLAUSE_END = re.compile(r",\s*(?:which|so|saving|often|from|because|while|but)\b|[;:—–]|\s-\s", re.I)

_LEAD_ATTRIBUTION = re.compile(r"^(?:according to [^,]{1,80},\s*)", re.I)
_TAIL_ATTRIBUTION = re.compile(
    r"(?:,\s*(?:according to [^,]{1,80}|(?:the |a )?[\w.'’ ()-]{1,60}\s(?:said|says|reported|noted|added|wrote|"
    r"stated|recalled)))?[.!?…][\"'”’)\]]*$",
    re.I,
)


@dataclass(frozen=True)
class Candidate:
    """A key sentence (row of the sentence table) for a side, its contention and its score."""

    row: int
    side: Side
    contention: Contention | None
    score: float
    similarity: float
    stance: Stance | None = None
    """The key sentence's own stance when it differs from ``side`` (neutral evidence that still answers)."""
    target: str = ""
    """What the card must prove (its underline and highlight follow it): the contention's claim when empty, or the
    point a rebuttal answers."""


def relevance(table: SentenceTable, texts: Sequence[str], settings: Settings) -> np.ndarray:
    """Return the cosine similarity of every sentence (rows) to each text (columns)."""
    if not texts or not len(table.texts):
        return np.zeros((len(table.texts), len(texts)))
    return np.asarray(table.vectors @ np.stack([embed_query(t, settings) for t in texts]).T)


def candidates(
    table: SentenceTable,
    motion: Motion,
    side: Side,
    settings: Settings,
    targets: Sequence[Contention] | None = None,
    *,
    verbatim_only: bool = False,
) -> list[Candidate]:
    """Return key-sentence candidates for a side, best first: sentences taking that side, close to a target.

    Targets default to the side's contentions (the motion text when it has none); a candidate's score is its
    best cosine similarity to a target plus a small bonus for a clear-cut stance.
    """
    own = list(motion.side(side) if targets is None else targets)
    sims = relevance(table, [c.claim for c in own] or [motion.text], settings)
    labels = table.labels(motion, settings)
    side_p = table.side_probability(motion, settings, side)
    allowed = labels == side
    if verbatim_only:
        allowed &= ~table.digest
    out = []
    for row in np.flatnonzero(allowed):
        best = int(np.argmax(sims[row]))
        sim = float(sims[row, best])
        if sim >= settings.card_min_similarity:
            bonus = STANCE_BONUS * (float(side_p[row]) - 0.5)
            out.append(Candidate(int(row), side, own[best] if own else None, sim + bonus, sim))
    out.sort(key=lambda c: -c.score)
    return out


class Picker:
    """Turns candidates into verified cards, best first, sharing one record of evidence already used."""

    def __init__(self, table: SentenceTable, motion: Motion, settings: Settings, *, side_check: bool = True) -> None:
        self.table = table
        self.motion = motion
        self.side_check = side_check
        """False for cards on a tag the debater wrote (``cut_cards``): no side, so no sentence is refused for one."""
        self.labels = table.labels(motion, settings) if side_check else np.full(len(table.texts), "neutral")
        self.settings = settings
        self.taken: list[tuple[str, int, int]] = []
        self.dropped = 0
        self._sentences: dict[str, SourceSentences] = {}
        self._side_p: dict[str, np.ndarray] = {}
        self.unsure_below = load_model().unsure_below

    def pick(self, pools: dict[K, list[Candidate]], n: int) -> dict[K, list[Card]]:
        """Pick up to n cards from each pool, taking turns so no pool gets first choice of every paragraph."""
        out: dict[K, list[Card]] = {key: [] for key in pools}
        left = {key: list(pool) for key, pool in pools.items()}
        used: dict[K, dict[str, int]] = {key: {} for key in pools}
        while True:
            progressed = False
            for key, pool in left.items():
                if len(out[key]) < n and pool:
                    card = self._next(pool, used[key])
                    if card is not None:
                        out[key].append(card)
                        progressed = True
            if not progressed:
                return out

    def sentences(self, source_id: str) -> SourceSentences:
        """Return every sentence of a source (cached for this picker)."""
        if source_id not in self._sentences:
            rows = self.table.rows_by_source[source_id]
            text = source_text(source_id, self.settings)
            self._sentences[source_id] = source_sentences(source_id, text, self.table.starts[rows], rows)
        return self._sentences[source_id]

    def _is_taken(self, source_id: str, start: int, end: int) -> bool:
        return any(s == source_id and start < e and b < end for s, b, e in self.taken)

    def _next(self, pool: list[Candidate], used: dict[str, int]) -> Card | None:
        """Take the best remaining candidate (after penalties) that overlaps nothing used and verifies."""
        table = self.table

        def keys(c: Candidate) -> tuple[str, str]:
            return f"s:{table.source_ids[c.row]}", f"c:{c.contention.id if c.contention else ''}"

        def adjusted(c: Candidate) -> float:
            source, contention = keys(c)
            return c.score - SOURCE_PENALTY * used.get(source, 0) - CONTENTION_PENALTY * used.get(contention, 0)

        while pool:
            best = max(pool, key=adjusted)
            pool.remove(best)
            sid = table.source_ids[best.row]
            if self._is_taken(sid, int(table.starts[best.row]), int(table.ends[best.row])):
                continue
            card = self._card(best)
            if card is None:
                self.dropped += 1
                continue
            self.taken.append((sid, card.start, card.end))
            for key in keys(best):
                used[key] = used.get(key, 0) + 1
            return card
        return None

    def cut(self, c: Candidate) -> tuple[str, Cut]:
        """Return the candidate's source text and its cut: evidence span, underline and highlight."""
        table, settings = self.table, self.settings
        sid = table.source_ids[c.row]
        text = source_text(sid, settings)
        sents = self.sentences(sid)
        key = int(np.searchsorted(sents.starts, table.starts[c.row]))
        target = c.target or (c.contention.claim if c.contention else self.motion.text)
        has_row = sents.rows >= 0
        relevance = np.where(has_row, table.vectors[sents.rows] @ embed_query(target, settings), -1.0)
        other = "con" if c.side == "pro" else "pro"
        against = has_row & (self.labels[sents.rows] == other)
        # Padding from another paragraph must argue neither side or be a confident case of the card's side.
        doubtful = np.zeros(len(sents.rows), dtype=bool)
        if self.side_check:
            side_p = self.side_p(c.side)[sents.rows]
            doubtful = has_row & (self.labels[sents.rows] != "neutral") & (side_p < self.unsure_below)

        def blocked(i: int) -> bool:
            return bool(against[i]) or self._is_taken(sid, int(sents.starts[i]), int(sents.ends[i]))

        return text, cut(
            text,
            sents,
            key,
            relevance,
            blocked=blocked,
            excluded=lambda i: bool(against[i]),
            min_words=settings.card_min_words,
            max_words=settings.card_max_words,
            warrant=settings.card_min_similarity,
            padding=lambda i: not doubtful[i],
            vectors=np.where(has_row[:, None], table.vectors[sents.rows], 0.0),
        )

    def side_p(self, side: Side) -> np.ndarray:
        """Return every sentence's P(side | argues) toward the motion (cached per side)."""
        if side not in self._side_p:
            self._side_p[side] = self.table.side_probability(self.motion, self.settings, side)
        return self._side_p[side]

    def _card(self, c: Candidate) -> Card | None:
        table = self.table
        text, layers = self.cut(c)
        if c.contention and c.similarity >= TAG_FROM_CONTENTION:
            tag = short_tag(c.contention.claim)
        else:
            tag = short_tag(core_span(text, int(table.starts[c.row]), int(table.ends[c.row])).text)
        if self.side_check:
            verdict = table.verdict(c.row, self.motion, self.settings)
            confidence, unsure = verdict.side_confidence, verdict.unsure
        else:
            tag, confidence, unsure = c.target, 1.0, False
        card = Card(
            id=f"{table.source_ids[c.row]}:{layers.start}-{layers.end}",
            tag=tag,
            cite=cite_of(table.source_ids[c.row], self.settings),
            evidence=text[layers.start : layers.end],
            start=layers.start,
            end=layers.end,
            highlight=layers.highlight,
            stance=c.stance or c.side,
            score=round(c.score, 4),
            source_id=table.source_ids[c.row],
            contention=c.contention.id if c.contention else "",
            side_confidence=confidence,
            side_unsure=unsure,
            underline=layers.underline,
            tag_origin=BOT_WORDS_LABEL if self.side_check else YOUR_WORDS_LABEL,
        )
        return card if verified(card, self.settings) else None


def core_span(text: str, start: int, end: int) -> Span:
    """Return the claim-carrying part of a sentence: without a leading or trailing attribution and final stop."""
    sentence = text[start:end]
    lead = _LEAD_ATTRIBUTION.match(sentence)
    a = lead.end() if lead else 0
    tail = _TAIL_ATTRIBUTION.search(sentence, a)
    b = tail.start() if tail and tail.start() - a >= 20 else len(sentence)
    while b > a and sentence[b - 1] in " ,;:":
        b -= 1
    return Span(sentence[a:b], start + a, start + b)


def make_card(
    table: SentenceTable,
    rows: Sequence[int],
    key_rows: Iterable[int],
    *,
    stance: Stance,
    score: float,
    tag: str,
    contention: str,
    settings: Settings,
    highlight: tuple[Span, ...] | None = None,
    underline: tuple[Span, ...] = (),
) -> Card | None:
    """Build a card from consecutive sentence rows of one source; None if it does not match the source.

    The highlight is the claim-carrying core of each of ``key_rows`` unless given.
    """
    sid = table.source_ids[rows[0]]
    text = source_text(sid, settings)
    start, end = int(table.starts[rows[0]]), int(table.ends[rows[-1]])
    if highlight is None:
        highlight = tuple(core_span(text, int(table.starts[r]), int(table.ends[r])) for r in key_rows)
    card = Card(
        id=f"{sid}:{start}-{end}",
        tag=tag,
        cite=cite_of(sid, settings),
        evidence=text[start:end],
        start=start,
        end=end,
        highlight=highlight,
        stance=stance,
        score=round(score, 4),
        source_id=sid,
        contention=contention,
        underline=underline,
    )
    return card if verified(card, settings) else None


def cite_of(source_id: str, settings: Settings) -> Cite:
    """Return the full cite of a source from its front matter."""
    info = source_info(source_id, settings)
    return Cite(
        author=info.author,
        publisher=info.publisher,
        date=info.date,
        title=info.title,
        url=info.url,
        digest=info.digest,
        credentials=info.credentials,
        accessed=info.ingested,
    )


def verified(card: Card, settings: Settings) -> bool:
    """Return True when the card's evidence, underline and highlight are the source's exact words at their offsets,
    the layers inside the evidence and every highlight inside the underline (when the card has one)."""
    try:
        text = source_text(card.source_id, settings)
    except NotFoundError:
        return False
    if not card.evidence.strip() or text[card.start : card.end] != card.evidence:
        return False

    def exact(span: Span) -> bool:
        return card.start <= span.start < span.end <= card.end and text[span.start : span.end] == span.text != ""

    if not all(exact(s) and s.text.strip() for s in (*card.highlight, *card.underline)):
        return False
    return not card.underline or all(
        any(u.start <= h.start and h.end <= u.end for u in card.underline) for h in card.highlight
    )


_LOOSE_END = re.compile(r",\s+|\s+(?:and|but|while|because|as|after|since|which|who|that|with|when)\s+", re.I)
_DANGLING = {"a", "an", "the", "of", "to", "in", "on", "for", "and", "or", "but", "by", "with", "from", "at", "as"}


def short_tag(claim: str) -> str:
    """Return a claim cut to its main clause, at most TAG_WORDS words, never with "..." (a tag is read aloud).

    The cut falls at a clause boundary (a comma, a conjunction, a relative pronoun); a claim with none in reach
    keeps its first TAG_WORDS words, without a dangling article or preposition at the end.
    """
    claim = _ASIDE.sub("", claim.strip()).rstrip(".").strip()
    if len(claim.split()) <= TAG_WORDS:
        return claim
    for pattern in (_CLAUSE_END, _LOOSE_END):
        cuts = [m.start() for m in pattern.finditer(claim) if 5 <= len(claim[: m.start()].split()) <= TAG_WORDS]
        if cuts:
            return claim[: cuts[0] if pattern is _CLAUSE_END else cuts[-1]].strip(" ,;:")
    words = claim.split()[:TAG_WORDS]
    while len(words) > 5 and words[-1].lower().strip(",;:") in _DANGLING:
        words.pop()
    return " ".join(words).strip(" ,;:")
