"""brief(): cards for and against a motion, each the source's exact words with a cite, a tag and two layers.

Every sentence of the index is embedded once per index version and given a stance toward the motion by the stance
model (``bot.debate.sentences``, ``bot.debate.stance``). When neither the caller nor the motions file gives
contentions, they are discovered from the sources (``bot.debate.contentions``). Each side's candidates are cut into
verified cards by ``bot.debate.cards``; with an LLM configured the model confirms each card's side and writes its
tag. A contention that gets no card is reported with the reason (``Brief.no_cards``). ``cut_cards`` cuts cards for
a tag the debater wrote, with no motion and no side.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.debate.cards import TAG_WORDS, Candidate, Picker, candidates, relevance
from bot.debate.contentions import with_contentions
from bot.debate.motions import SIDES, Motion, Side, resolve_motion
from bot.debate.sentences import SentenceTable, sentence_table
from bot.debate.stance import OFFLINE, StanceResult, ask_stance
from bot.errors import InputError
from bot.llm import check_line, llm_replies, make_chat_model, model_name
from bot.manifest import source_info
from bot.prompts import load_prompt
from bot.retrieval import check_count, check_query
from bot.settings import Settings, get_settings
from bot.types import Brief, Card, NoCard, NoCardReason, TagCards

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


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
    review = LLMReview(chat, resolved, settings) if chat is not None else None
    picker = Picker(table, resolved, settings)
    # With a model, pick spares: it confirms each card's side and the ones it puts elsewhere are left out.
    cards = picker.pick(pools, per_side if review is None else 2 * per_side)
    disagreed: set[str] = set()
    if review is not None:
        for side in SIDES:
            confirmed = review.confirm(cards[side], side)[:per_side]
            disagreed |= {c.contention for c in cards[side] if c not in confirmed}
            cards[side] = review.tags(confirmed, side)
    report = coverage(resolved, table, cards, picker.dropped, time.perf_counter() - began, settings)
    return Brief(
        motion=resolved.text,
        pro=cards["pro"],
        con=cards["con"],
        coverage=report,
        model=model_name(settings),
        contentions={c.id: c.claim for c in resolved.contentions},
        discovered=[c.id for c in resolved.contentions if c.origin == "discovered"],
        methods=dict(review.methods) if review else {},
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


@dataclass
class LLMReview:
    """A configured model's pass over a brief's cards: it confirms each card's side and writes its tag.

    ``methods`` counts how each verdict and tag was made (the model, or the offline fallback and why).
    """

    chat: BaseChatModel
    motion: Motion
    settings: Settings
    methods: Counter[str] = field(default_factory=Counter)

    def confirm(self, cards: list[Card], side: Side) -> list[Card]:
        """Keep the cards the model also puts on ``side``; an unreadable reply keeps the offline verdict (counted)."""
        offline = [StanceResult(c.stance, 1.0 if c.stance == "pro" else -1.0, OFFLINE) for c in cards]
        verdicts = ask_stance(self.chat, [c.evidence for c in cards], self.motion, offline, self.settings)
        self.methods.update(f"stance: {v.method}" for v in verdicts)
        return [c for c, v in zip(cards, verdicts, strict=True) if v.stance == side]

    def tags(self, cards: list[Card], side: Side) -> list[Card]:
        """Ask for each card's tag (prompts/tag.md); a reply that is not a usable line keeps the extractive tag.

        Each card's ``tag_method`` says which, and why.
        """
        prompt = load_prompt("tag", self.settings)
        prompts = [prompt.render(motion=self.motion.text, side=side, evidence=c.evidence) for c in cards]
        replies = llm_replies(self.chat, prompts, self.settings, task="tag")
        name = model_name(self.settings)
        out = []
        for card, reply in zip(cards, replies, strict=True):
            line, problem = check_line(reply, TAG_WORDS + 9)
            if problem:
                out.append(replace(card, tag_method=f"extractive: {name}'s tag not used ({problem})"))
            else:
                out.append(replace(card, tag=line, tag_method=f"llm: {name}"))
            self.methods[f"tag: {out[-1].tag_method}"] += 1
        return out
