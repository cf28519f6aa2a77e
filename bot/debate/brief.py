"""brief(): cards for and against a motion, each the source's exact words with a cite, a tag and two layers.

Every sentence of the index is embedded once per index version and given a stance toward the motion by the stance
model (``bot.debate.stance``). When neither the caller nor the motions file gives contentions, they are discovered
from the sources (``bot.debate.contentions``). A card grows from a key sentence that takes the side and is close to
one of that side's contentions: ``bot.debate.cutting`` widens it to the paragraph(s) a debater would read
(``card_min_words`` to ``card_max_words``, whole sentences, never taking in a sentence of the other side) and marks
the underline (the warrant) and the highlight (read aloud) inside it. Cards are picked greedily, best first, with a
penalty for a source or contention already used, so a side draws on several sources and covers several contentions;
no two cards share any evidence. Each card is checked against the stored source text before it is returned, and
dropped if it does not match. A contention that gets no card is reported with the reason (``Brief.no_cards``)."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from bot.debate.contentions import discover
from bot.debate.cutting import Cut, SourceSentences, cut, source_sentences
from bot.debate.motions import SIDES, Contention, Motion, Side, resolve_motion
from bot.debate.sentences import SentenceTable, sentence_table
from bot.debate.stance import OFFLINE, StanceResult, ask_stance
from bot.debate.stance_model import load_model
from bot.embeddings import embed_query
from bot.errors import InputError, NotFoundError
from bot.llm import check_line, llm_replies, make_chat_model, model_name
from bot.manifest import source_info, source_text
from bot.phrases import BOT_WORDS_LABEL, YOUR_WORDS_LABEL
from bot.prompts import load_prompt
from bot.retrieval import check_query
from bot.settings import Settings, get_settings
from bot.types import Brief, Card, Cite, NoCard, NoCardReason, Span, Stance, TagCards

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
    disagreed: set[str] = set()
    if chat is not None:
        for side in SIDES:
            confirmed = llm_confirm(chat, cards[side], resolved, side, settings, methods)[:per_side]
            disagreed |= {c.contention for c in cards[side] if c not in confirmed}
            cards[side] = llm_tags(chat, confirmed, resolved, side, settings, methods)
    report = coverage(resolved, table, cards, picker.dropped, time.perf_counter() - began, settings)
    return Brief(
        motion=resolved.text,
        pro=cards["pro"],
        con=cards["con"],
        coverage=report,
        model=model_name(settings),
        contentions={c.id: c.claim for c in resolved.contentions},
        discovered=[c.id for c in resolved.contentions if c.origin == "discovered"],
        methods=dict(methods),
        no_cards=no_cards(
            resolved, table, cards, pools, per_side, settings, verbatim_only=verbatim_only, disagreed=disagreed
        ),
    )


def cut_cards(
    tag: str,
    *,
    n: int = 3,
    source_id: str | None = None,
    verbatim_only: bool = False,
    settings: Settings | None = None,
) -> TagCards:
    """Return up to n verified cards that prove a tag you wrote, or why there are none.

    The debater's own workflow: a tag in hand, find and cut the evidence. No motion and no side, so no stance
    check: every sentence at least ``card_min_similarity`` similar to the tag can be a key sentence, and the cards
    are cut as a brief's are (``bot.debate.cutting``). ``source_id`` cuts from that source only; ``verbatim_only`` never
    from digests. The cards' tag is yours (``tag_origin`` "your words") and their stance "neutral".
    """
    settings = settings or get_settings()

    text = check_query(tag, settings, what="tag")
    n = check_count(n, "n", settings.brief_max_per_side, "BOT_BRIEF_MAX_PER_SIDE")
    table = sentence_table(settings)
    if source_id is not None and source_id not in table.rows_by_source:
        source_info(source_id, settings)  # raises NotFoundError naming the id when it is not ingested at all
        raise InputError(
            f"The source {source_id!r} has no sentences a card can be cut from.", "Pick another source, or none."
        )
    sims = relevance(table, [text], settings)[:, 0]
    searched = np.ones(len(sims), dtype=bool)
    if source_id is not None:
        searched &= np.array([sid == source_id for sid in table.source_ids], dtype=bool)
    if verbatim_only:
        searched &= ~table.digest
    allowed = searched & (sims >= settings.card_min_similarity)
    pool = [
        Candidate(int(r), "pro", None, float(sims[r]), float(sims[r]), "neutral", text) for r in np.flatnonzero(allowed)
    ]
    pool.sort(key=lambda c: -c.score)
    motion = Motion(id="tag", text=text, pro=(), con=())
    picker = Picker(table, motion, settings, side_check=False)
    cards = picker.pick({"tag": pool}, n)["tag"]
    missing = None
    if not cards:
        best = int(np.argmax(np.where(searched, sims, -2.0))) if searched.any() else -1
        closest = float(sims[best]) if best >= 0 else 0.0
        where = table.source_ids[best] if best >= 0 else ""
        if pool:
            reason: NoCardReason = "overlap"
            message = f"The {len(pool)} sentences close to it could not be cut into a card that matches its source."
        else:
            reason = "no-evidence"
            message = (
                f"No sentence in {'that source' if source_id else 'the sources'} is close enough to carry it: the "
                f"closest ({where or 'none'}) is {closest:.2f} similar, below {settings.card_min_similarity:.2f} "
                "(BOT_CARD_MIN_SIMILARITY)."
            )
        missing = NoCard("tag", text, "neutral", reason, message, round(closest, 3), where)
    return TagCards(tag=text, cards=cards, no_card=missing, dropped=picker.dropped)


def with_contentions(motion: Motion, table: SentenceTable, settings: Settings) -> Motion:
    """Return the motion with contentions discovered from the sources for each side that has none."""
    if motion.pro and motion.con:
        return motion
    found = discover(motion, table, settings)
    return replace(motion, pro=motion.pro or found.pro, con=motion.con or found.con)


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


def no_cards(
    motion: Motion,
    table: SentenceTable,
    cards: dict[Side, list[Card]],
    pools: dict[Side, list[Candidate]],
    per_side: int,
    settings: Settings,
    *,
    verbatim_only: bool = False,
    disagreed: set[str] | None = None,
) -> list[NoCard]:
    """Return each contention without a card, with the reason in a word and in a sentence."""
    carded = {card.contention for side in SIDES for card in cards[side]}
    labels = table.labels(motion, settings)
    threshold = settings.card_min_similarity
    out = []
    for side in SIDES:
        own = [c for c in motion.side(side) if c.id not in carded]
        if not own:
            continue
        sims = relevance(table, [c.claim for c in own], settings)
        with_candidates = {c.contention.id for c in pools[side] if c.contention}
        for j, contention in enumerate(own):
            column = sims[:, j] if len(table.texts) else np.zeros(0)
            best = int(np.argmax(column)) if len(column) else -1
            closest = float(column[best]) if best >= 0 else 0.0
            where = table.source_ids[best] if best >= 0 else ""
            close = column >= threshold
            reason: NoCardReason
            if not close.any():
                reason = "no-evidence"
                message = (
                    f"No sentence in the sources is close enough to carry it: the closest ({where or 'none'}) is "
                    f"{closest:.2f} similar, below {threshold:.2f} (BOT_CARD_MIN_SIMILARITY)."
                )
            elif contention.id not in with_candidates:
                reason = "other-side"
                n_other = int((close & (labels != side) & (labels != "neutral")).sum())
                n_neutral = int((close & (labels == "neutral")).sum())
                n_digest = int((close & (labels == side) & table.digest).sum()) if verbatim_only else 0
                message = (
                    f"{int(close.sum())} sentences are close to it, but none can be a {side} card: the stance model "
                    f"reads {n_other} as taking the other side and {n_neutral} as arguing neither"
                    + (f"; {n_digest} are from digests (verbatim only)" if n_digest else "")
                    + "."
                )
            elif contention.id in (disagreed or set()):
                reason = "model-disagreed"
                message = "The model read the evidence the bot found for it as not taking this side."
            elif len(cards[side]) >= per_side:
                reason = "no-room"
                message = (
                    f"It has evidence, but the side's {per_side} cards went to closer evidence for other contentions; "
                    "ask for more cards per side."
                )
            else:
                reason = "overlap"
                message = "Its evidence is already in other cards of this brief (no two cards share a sentence)."
            out.append(
                NoCard(
                    contention=contention.id,
                    claim=contention.claim,
                    side=side,
                    reason=reason,
                    message=message,
                    closest=round(closest, 3),
                    closest_source=where,
                )
            )
    return out


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
