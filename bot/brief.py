"""brief(): cards for and against a motion, each the source's exact words with a cite, a tag and highlights.

Every sentence of the index is embedded once per index version and given a stance toward the motion by the
stance model (``bot.stance``). When neither the caller nor the motions file gives contentions, they are discovered
from the sources (``bot.contentions``). A card
grows from a key sentence that takes the side and is close to one of that side's contentions: its neighbours in
the same paragraph join it unless they take the other side, up to ``card_max_chars``. Cards are picked greedily,
best first, with a penalty for a source or contention already used, so a side draws on several sources and
covers several contentions; no two cards share any evidence. Each card is checked against the stored source
text before it is returned, and dropped if it does not match.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from bot.errors import InputError, NotFoundError
from bot.manifest import source_info, source_text
from bot.motions import SIDES, Contention, Motion, Side, resolve_motion
from bot.settings import Settings, get_settings
from bot.stance import OFFLINE, SentenceTable, sentence_table
from bot.types import Brief, Card, Cite, Span, Stance

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

K = TypeVar("K")

SOURCE_PENALTY = 0.15
"""Subtracted from a candidate's score for each card its source already has on that side."""
CONTENTION_PENALTY = 0.06
"""Subtracted for each card already supporting the same contention."""
STANCE_BONUS = 0.15
"""Times (P(side) - 0.5): a clear-cut sentence beats a borderline one of equal relevance. Set by hand: at 0.15 a
sentence of side probability 1.0 outranks one of 0.6 only when their similarities differ by less than 0.06."""
TAG_WORDS = 15
TAG_FROM_CONTENTION = 0.5
"""A card is tagged with its contention only when its key sentence is at least this similar to it."""

_ASIDE = re.compile(r",\s*(?:such as|including|like|e\.g\.)[^,]{1,60},", re.I)
_CLAUSE_END = re.compile(r",\s*(?:which|so|saving|often|from|because|while|but)\b|[;:—–]|\s-\s", re.I)
_CLAUSE = re.compile(r",\s+(?:and|but|while|although|whereas)\s+|;\s+")

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


def check_count(value: object, name: str, limit: int, setting: str) -> int:
    """Return a whole number between 1 and ``limit``, or raise InputError naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InputError(f"{name} must be a whole number, not {value!r}.", f"Pass {name} between 1 and {limit}.")
    if not 1 <= int(value) <= limit:
        raise InputError(f"{name}={value} is out of range.", f"Pass {name} between 1 and {limit} ({setting}).")
    return int(value)


def brief(
    motion: str,
    *,
    per_side: int = 5,
    contentions: dict[str, list[str]] | None = None,
    verbatim_only: bool = False,
    settings: Settings | None = None,
) -> Brief:
    """Return up to ``per_side`` verified cards for each side of the motion, with a coverage report.

    ``contentions`` (``{"pro": [...], "con": [...]}``) override the motions file's for the sides given; a motion
    not in the file works too: its contentions are then discovered from the sources. ``verbatim_only`` cuts cards
    from verbatim sources only (the seed article, the user's files, originals), never from digests.
    """
    began = time.perf_counter()
    settings = settings or get_settings()
    from bot.llm import make_chat_model, model_name
    from bot.retrieval import check_query

    text = check_query(motion, settings, what="motion")
    per_side = check_count(per_side, "per_side", settings.brief_max_per_side, "BOT_BRIEF_MAX_PER_SIDE")
    resolved = resolve_motion(text, contentions, settings)
    table = sentence_table(settings)
    resolved = with_contentions(resolved, table, settings)
    pools = {side: candidates(table, resolved, side, settings, verbatim_only=verbatim_only) for side in SIDES}
    chat = make_chat_model(settings)
    methods: Counter[str] = Counter()
    picker = Picker(table, resolved, settings)
    # With a model, pick spares: it confirms each card's side and the ones it puts elsewhere are left out.
    cards = picker.pick(pools, per_side if chat is None else 2 * per_side)
    if chat is not None:
        for side in SIDES:
            confirmed = llm_confirm(chat, cards[side], resolved, side, settings, methods)[:per_side]
            cards[side] = llm_tags(chat, confirmed, resolved, side, settings, methods)
    return Brief(
        motion=resolved.text,
        pro=cards["pro"],
        con=cards["con"],
        coverage=coverage(resolved, table, cards, picker.dropped, time.perf_counter() - began, settings),
        model=model_name(settings),
        contentions={c.id: c.claim for c in resolved.contentions},
        discovered=[c.id for c in resolved.contentions if c.origin == "discovered"],
        methods=dict(methods),
    )


def with_contentions(motion: Motion, table: SentenceTable, settings: Settings) -> Motion:
    """Return the motion with contentions discovered from the sources for each side that has none."""
    from bot.contentions import discover

    if motion.pro and motion.con:
        return motion
    found = discover(motion, table, settings)
    return replace(motion, pro=motion.pro or found.pro, con=motion.con or found.con)


def relevance(table: SentenceTable, texts: Sequence[str], settings: Settings) -> np.ndarray:
    """Return the cosine similarity of every sentence (rows) to each text (columns)."""
    from bot.embeddings import embed_query

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

    def __init__(self, table: SentenceTable, motion: Motion, settings: Settings) -> None:
        self.table = table
        self.motion = motion
        self.labels = table.labels(motion, settings)
        self.settings = settings
        self.taken: list[tuple[str, int, int]] = []
        self.dropped = 0

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
            rows = evidence_window(table, best.row, best.side, self.labels, self.settings)
            sid = table.source_ids[best.row]
            start, end = int(table.starts[rows[0]]), int(table.ends[rows[-1]])
            if any(s == sid and start < e and b < end for s, b, e in self.taken):
                continue
            card = self._card(best, rows)
            if card is None:
                self.dropped += 1
                continue
            self.taken.append((sid, start, end))
            for key in keys(best):
                used[key] = used.get(key, 0) + 1
            return card
        return None

    def _card(self, c: Candidate, rows: list[int]) -> Card | None:
        table = self.table
        keys = [c.row]  # the read-aloud layer is the key sentence's claim, not every sentence of the card
        if c.contention and c.similarity >= TAG_FROM_CONTENTION:
            tag = short_tag(c.contention.claim)
        else:
            text = source_text(table.source_ids[c.row], self.settings)
            tag = short_tag(core_span(text, int(table.starts[c.row]), int(table.ends[c.row])).text)
        verdict = table.verdict(c.row, self.motion, self.settings)
        card = make_card(
            table,
            rows,
            keys,
            stance=c.stance or c.side,
            score=c.score,
            tag=tag,
            contention=c.contention.id if c.contention else "",
            settings=self.settings,
        )
        return card and replace(card, side_confidence=verdict.side_confidence, side_unsure=verdict.unsure)


def evidence_window(table: SentenceTable, row: int, side: Stance, labels: np.ndarray, settings: Settings) -> list[int]:
    """Return a card's evidence rows: the key sentence and paragraph neighbours that do not take the other side."""
    rows = [row]
    length = int(table.ends[row] - table.starts[row])
    sid, para = table.source_ids[row], int(table.paragraphs[row])
    other = "con" if side == "pro" else "pro" if side == "con" else None

    def fits(r: int) -> bool:
        return (
            0 <= r < len(table.texts)
            and table.source_ids[r] == sid
            and int(table.paragraphs[r]) == para
            and labels[r] != other
            and int(table.ends[r] - table.starts[min(rows[0], r)]) <= settings.card_max_chars
            and length + int(table.ends[r] - table.starts[r]) + 1 <= settings.card_max_chars
        )

    for step in (1, -1):
        nxt = (rows[-1] if step > 0 else rows[0]) + step
        if fits(nxt):
            length += int(table.ends[nxt] - table.starts[nxt]) + 1
            rows = [*rows, nxt] if step > 0 else [nxt, *rows]
    return rows


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


def claim_spans(text: str, start: int, end: int, stance: Stance) -> list[Span]:
    """Return the clauses of a sentence's core that carry its claim: those holding a figure.

    When no clause does (or every clause does), the whole core is the one span.
    """
    core = core_span(text, start, end)
    pieces, at = [], 0
    for match in _CLAUSE.finditer(core.text):
        pieces.append((at, match.start()))
        at = match.end()
    pieces.append((at, len(core.text)))
    keep = [(a, b) for a, b in pieces if b - a >= 12 and re.search(r"\d", core.text[a:b])]
    if not keep or len(keep) == len(pieces):
        return [core]
    return [Span(core.text[a:b], core.start + a, core.start + b) for a, b in keep]


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
) -> Card | None:
    """Build a card from consecutive sentence rows of one source; None if it does not match the source.

    The highlight is the claim-carrying clauses of ``key_rows`` unless given.
    """
    sid = table.source_ids[rows[0]]
    text = source_text(sid, settings)
    start, end = int(table.starts[rows[0]]), int(table.ends[rows[-1]])
    if highlight is None:
        highlight = tuple(
            span for r in key_rows for span in claim_spans(text, int(table.starts[r]), int(table.ends[r]), stance)
        )
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
    """Return True when the card's evidence and highlights are the source's exact words at their offsets."""
    try:
        text = source_text(card.source_id, settings)
    except NotFoundError:
        return False
    if not card.evidence.strip() or text[card.start : card.end] != card.evidence:
        return False
    return all(
        card.start <= h.start < h.end <= card.end and text[h.start : h.end] == h.text and h.text.strip()
        for h in card.highlight
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


def coverage(
    motion: Motion,
    table: SentenceTable,
    cards: dict[Side, list[Card]],
    dropped: int,
    seconds: float,
    settings: Settings,
) -> dict[str, Any]:
    """Return the brief's coverage: cards and sources per side, contentions without evidence or without a card."""
    report: dict[str, Any] = {
        side: {"cards": len(cards[side]), "sources": sorted({c.source_id for c in cards[side]})} for side in SIDES
    }
    without: list[str] = []
    labels = table.labels(motion, settings)
    for side in SIDES:
        own = motion.side(side)
        sims = relevance(table, [c.claim for c in own], settings)[labels == side]
        without += [c.id for j, c in enumerate(own) if not (sims[:, j] >= settings.card_min_similarity).any()]
    carded = {card.contention for side in SIDES for card in cards[side]}
    report["contentions_without_evidence"] = without
    report["contentions_without_cards"] = [
        c.id for c in motion.contentions if c.id not in carded and c.id not in without
    ]
    report["unverified_dropped"] = dropped
    report["seconds"] = round(seconds, 3)
    return report


def llm_tags(
    chat: BaseChatModel,
    cards: list[Card],
    motion: Motion,
    side: Side,
    settings: Settings,
    methods: Counter[str] | None = None,
) -> list[Card]:
    """Ask the model for each card's tag (prompts/tag.md); a reply that is not a usable line keeps the extractive tag.

    Each card's ``tag_method`` says which, and why; ``methods`` counts them.
    """
    from bot.llm import check_line, model_name
    from bot.prompts import load_prompt
    from bot.stance import llm_replies

    prompt = load_prompt("tag", settings)
    prompts = [prompt.render(motion=motion.text, side=side, evidence=c.evidence) for c in cards]
    replies = llm_replies(chat, prompts, settings, task="tag")
    name = model_name(settings)
    out = []
    for card, reply in zip(cards, replies, strict=True):
        line, problem = check_line(reply, TAG_WORDS + 9)
        if problem:
            out.append(replace(card, tag_method=f"extractive: {name}'s tag not used ({problem})"))
        else:
            out.append(replace(card, tag=line, tag_method=f"llm: {name}"))
        if methods is not None:
            methods[f"tag: {out[-1].tag_method}"] += 1
    return out


def llm_confirm(
    chat: BaseChatModel,
    cards: list[Card],
    motion: Motion,
    side: Side,
    settings: Settings,
    methods: Counter[str] | None = None,
) -> list[Card]:
    """Keep the cards the model also puts on ``side``; an unreadable reply keeps the offline verdict (counted)."""
    from bot.stance import StanceResult, ask_stance

    offline = [StanceResult(c.stance, 1.0 if c.stance == "pro" else -1.0, OFFLINE) for c in cards]
    verdicts = ask_stance(chat, [c.evidence for c in cards], motion, offline, settings)
    if methods is not None:
        methods.update(f"stance: {v.method}" for v in verdicts)
    return [c for c, v in zip(cards, verdicts, strict=True) if v.stance == side]


def clean_line(reply: str, max_words: int) -> str:
    """Return the first non-empty line of a model reply without a label, quotes or markup, at most max_words."""
    line = next((x.strip() for x in reply.splitlines() if x.strip()), "")
    line = re.sub(r"^(?:tag|analysis)\s*:\s*", "", line, flags=re.I).strip(" \"'“”*#`-")
    words = line.split()
    return " ".join(words[:max_words]) + (" ..." if len(words) > max_words else "")
