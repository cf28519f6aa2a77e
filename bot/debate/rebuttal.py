"""rebut(): answer-to (A2) blocks against an opponent's argument, built from the other side's cards.

The argument (a sentence, or a pasted card) is split into its points (sentences, at most ``MAX_POINTS``). Its side
is read by the same stance model as every passage (``bot.debate.stance``) toward the motion (the default motion unless
one is given); an argument argues by definition, so only its side is asked for. When that side is unsure the
bot says so and answers both readings, one set of blocks each, rather than guessing. Each point gets a block:
sentences taking the *other* side, ranked by similarity to the point and to the answering side's contentions
closest to it (discovered from the sources when none are given), grown into verified cards (as in ``bot.debate.brief``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from bot.debate.cards import Candidate, Picker, relevance
from bot.debate.contentions import with_contentions
from bot.debate.motions import Contention, Motion, Side, default_motion, resolve_motion
from bot.debate.sentences import SentenceTable, sentence_table
from bot.debate.stance import classify
from bot.embeddings import embed_query, embed_texts
from bot.llm import check_line, llm_replies, make_chat_model, model_name
from bot.prompts import fence_source, load_prompt
from bot.retrieval import check_count, check_query
from bot.settings import Settings, get_settings
from bot.text import split_sentences
from bot.types import A2Block, Card, Rebuttal

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

MAX_POINTS = 3
"""A pasted card is answered point by point, up to this many sentences (hand-set, not fitted)."""
POINT_WEIGHT = 0.75
"""Weight of a sentence's similarity to the point itself; the rest goes to the answering contentions. Hand-set
default, not fitted: the point decides what is relevant, the contentions only break near-ties toward the side's
case."""
ANSWER_CONTENTIONS = 3
"""How many of the answering side's contentions (closest to the point) steer the search (hand-set, not fitted)."""


def rebut(argument: str, *, n: int = 3, motion: str | None = None, settings: Settings | None = None) -> Rebuttal:
    """Return A2 blocks answering the argument: for each of its points, up to n cards from the other side.

    ``motion`` is the motion the round is on (default: the motions file's default motion).
    """
    settings = settings or get_settings()

    text = check_query(argument, settings, what="argument")
    n = check_count(n, "n", settings.rebut_max_n, "BOT_REBUT_MAX_N")
    resolved = resolve_motion(check_query(motion, settings, what="motion"), None, settings) if motion else None
    the_motion = resolved or default_motion(settings)
    verdict = classify([text], the_motion, settings=settings)[0]
    table = sentence_table(settings)
    the_motion = with_contentions(the_motion, table, settings)
    readings: list[Side] = ["pro", "con"] if verdict.unsure else ["pro" if verdict.side == "pro" else "con"]
    points = split_points(text)
    picker = Picker(table, the_motion, settings)
    blocks: list[A2Block] = []
    for reading in readings:
        answer: Side = "con" if reading == "pro" else "pro"
        eligible = table.labels(the_motion, settings) == answer
        pools = {i: answer_pool(table, p, the_motion, answer, eligible, settings) for i, p in enumerate(points)}
        picked = picker.pick(pools, n)
        blocks += [A2Block(answers=p, cards=picked[i], reading=reading) for i, p in enumerate(points)]
    chat = make_chat_model(settings)
    methods: dict[str, int] = {}
    if chat is not None:
        blocks = analyse(chat, blocks, settings)
        for key in [f"stance: {verdict.method}"] + [f"analysis: {b.analysis_method}" for b in blocks if b.cards]:
            methods[key] = methods.get(key, 0) + 1
    return Rebuttal(
        argument=text,
        argument_stance=readings[0] if len(readings) == 1 else "neutral",
        blocks=blocks,
        model=model_name(settings),
        answer_side=("con" if readings[0] == "pro" else "pro") if len(readings) == 1 else "neutral",
        side_confidence=verdict.side_confidence,
        unsure=verdict.unsure,
        methods=methods,
    )


def split_points(text: str) -> list[str]:
    """Return the argument's points: its sentences of three words or more, at most MAX_POINTS (else the whole)."""
    sentences = [text[a:b] for a, b in split_sentences(text)]
    points = [s for s in sentences if len(s.split()) >= 3]
    return points[:MAX_POINTS] or [text]


def answer_pool(
    table: SentenceTable,
    point: str,
    motion: Motion,
    side: Side,
    eligible: np.ndarray,
    settings: Settings,
) -> list[Candidate]:
    """Return candidates answering a point: eligible sentences close to it and to the answering contentions."""
    own = list(motion.side(side))
    to_point = relevance(table, [point], settings)[:, 0]
    targets: list[Contention] = []
    if own:
        closeness = embed_texts([c.claim for c in own], settings) @ embed_query(point, settings)
        targets = [own[int(j)] for j in np.argsort(-closeness)[:ANSWER_CONTENTIONS]]
    to_targets = relevance(table, [c.claim for c in targets], settings) if targets else None
    out = []
    for row in np.flatnonzero(eligible):
        best = int(np.argmax(to_targets[row])) if to_targets is not None else -1
        sim_target = float(to_targets[row, best]) if to_targets is not None else float(to_point[row])
        score = POINT_WEIGHT * float(to_point[row]) + (1 - POINT_WEIGHT) * sim_target
        if max(float(to_point[row]), sim_target) >= settings.card_min_similarity:
            contention = targets[best] if targets else None
            out.append(Candidate(int(row), side, contention, score, float(to_point[row]), target=point))
    out.sort(key=lambda c: -c.score)
    return out


ANALYSIS_WORDS = 60
"""Longest analysis line used (hand-set: about 20 seconds spoken): a longer reply keeps its first one or two sentences
that fit; when even its first sentence is longer, it is not a line a debater can say, and no line is shown."""


def analyse(chat: BaseChatModel, blocks: list[A2Block], settings: Settings) -> list[A2Block]:
    """Ask the model for a short analytic line per block (prompts/analysis.md), marked as the bot's words.

    A reply that is not a usable line (empty, looping, echoing the prompt, too long) gives no line, the offline
    method; each block's ``analysis_method`` says which, and why.
    """
    prompt = load_prompt("analysis", settings)
    todo = [b for b in blocks if b.cards]
    prompts = [prompt.render(argument=b.answers, evidence=evidence_text(b.cards)) for b in todo]
    replies = dict(zip(map(id, todo), llm_replies(chat, prompts, settings, task="analysis"), strict=True))
    name = model_name(settings)
    out = []
    for b in blocks:
        if id(b) not in replies:
            out.append(b)
            continue
        line, problem = check_line(replies[id(b)], ANALYSIS_WORDS, sentences=2)
        if problem:
            out.append(replace(b, analysis="", analysis_method=f"none: {name}'s line not used ({problem})"))
        else:
            out.append(replace(b, analysis=line, analysis_method=f"llm: {name}"))
    return out


def evidence_text(cards: list[Card]) -> str:
    """Return the cards as numbered, fenced sources for a prompt."""
    return "\n\n".join(
        fence_source(i, c.cite.title, c.cite.publisher, c.cite.date, c.evidence) for i, c in enumerate(cards, 1)
    )
