"""ask(): a question in, an answer out in which every sentence cites a retrieved passage, or a refusal.

Two answerers share retrieval, the refusal decision and the checks in ``bot.grounding``:

- extractive (default, no LLM): the answer is the most relevant verbatim sentences of the retrieved passages,
  non-redundant, grouped by source in reading order, each followed by its ``[n]``;
- an LLM (``BOT_LLM``): after the same retrieval, one LCEL chain per model, built once (prompt -> model ->
  parser); its answer is parsed and checked sentence by sentence, and unknown citations are removed and flagged.

The LLM path survives real model output: the reply has a token limit and stop sequences (``BOT_LLM_MAX_TOKENS_ANSWER``,
``BOT_LLM_STOP_ANSWER``), a reply that repeats itself is cut off, and the whole answer has a wall-clock budget
(``BOT_LLM_TIMEOUT``). A reply that loops, runs out of time, is empty, refuses what the sources answer, or has no
sentence supported by a passage it cites is never returned as an answer: the extractive answer is, with
``fallback`` and ``note`` saying why. Unsupported sentences of a partly supported answer stay, flagged
(``SentenceCheck.supported`` and ``reason``), and carry no citation.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from bot.focus import (
    DECISIVE_MIN_COSINE,
    Focus,
    decisive,
    expanded_before,
    focus_of,
    gives_strongly,
    is_country,
    meets,
    refers_back,
)
from bot.followup import History, _standalone
from bot.grounding import (
    Answerability,
    Candidate,
    answerability,
    candidate_sentences,
    candidate_vectors,
    coverage,
    make_citation,
)
from bot.llm import Budget, make_chat_model
from bot.manifest import load_manifest, source_text
from bot.phrases import REFUSAL
from bot.qualifiers import FOREIGN_MIN_COSINE, expand_shorthand, foreign_terms, has_word, spelling_out, unseen
from bot.retrieval import (
    all_passages,
    check_query,
    index_idf,
    index_names,
    retrieve,
    spell_out_initials,
    stem,
    superseded_sources,
    term_weights,
    unknown_terms,
)
from bot.sentence_recall import with_nearest_sentences
from bot.settings import Settings, get_settings
from bot.text import fold, is_sentence, split_sentences
from bot.types import Answer, Citation, Passage, SentenceCheck

LEXICAL_WEIGHT = 0.3
"""How much the IDF-weighted share of question terms in a sentence adds to its cosine when ranking sentences.

Hand-set default, not fitted (with the others below; the refusal thresholds are the fitted ones, on the dev split,
see README "Measured quality"): coverage runs 0..1 and cosines of candidate answers differ by about 0.1, so 0.3 lets
a sentence holding most of the question's terms overtake a slightly closer one that holds few."""
NUMBER_BONUS = 0.1
"""Added to sentences holding a figure when the question asks for one ("how many", "what percentage", ...).
Hand-set default, not fitted: the size of a small cosine difference."""
KEEP_RATIO = 0.8
"""A sentence joins the answer only if it scores at least this share of the best sentence's score. Hand-set
default, not fitted."""
REDUNDANT = 0.85
"""A sentence this similar to one already chosen adds nothing and is skipped. Hand-set default, not fitted: with
all-MiniLM-L6-v2, near-duplicates (the same claim in two sources) score above 0.85, distinct claims well below."""
TYPE_BONUS = 0.1
"""Added to a sentence that plainly holds the kind of answer asked for ("in Tecoluca" for where, "because" for why);
set by hand like NUMBER_BONUS, of the size of a small cosine difference."""
UNFIT_PENALTY = 10.0
"""Subtracted from a sentence that does not answer this question (bot.focus): it is never chosen as the answer.
Not a weight to tune: any value above the largest possible score (cosine + LEXICAL_WEIGHT + bonuses < 2) does it."""
DECISIVE_BONUS = 1.0
"""Added to a sentence that answers by its form alone (an acronym spelled out, "X is in Tecoluca"): it comes first.
Not a weight to tune: it only has to exceed the score differences among fitting sentences (below 1)."""
LIST_ITEMS = 3
"""A list question also gets up to this many sentences that follow the best one in its passage (the items).
Hand-set default, not fitted."""

_ASKS_NUMBER = re.compile(
    r"\b(how (many|much|long|often)|what (percentage|share|number|proportion|rate)|when|what year)\b", re.I
)


@dataclass(frozen=True)
class Partial:
    """A streaming update: the answer text so far (the final item of ``ask_stream`` is the checked Answer)."""

    text: str
    draft: bool = False
    """True for the model's words as they come, before any check: the final Answer replaces them."""


@dataclass
class _Prepared:
    question: str
    query: str
    passages: list[Passage]
    cands: list[Candidate]
    scores: np.ndarray
    vectors: np.ndarray
    cosines: np.ndarray
    coverages: np.ndarray
    check: Answerability
    timings: dict[str, float] = field(default_factory=dict)
    focus: Focus | None = None
    fits: np.ndarray | None = None
    """Per candidate: does it give the answer type and meet the question's years and specific words (bot.focus)?"""
    before: list[int] = field(default_factory=list)
    """Per candidate: the index of the candidate just before it in the same passage, or -1."""
    decisive: bool = False
    """Some sentence answers by its form alone (bot.focus.decisive): answerable whatever the thresholds say."""
    foreign: bool = False
    """The question holds a word no source uses (bot.qualifiers.foreign_terms): only a sentence at cosine >=
    FOREIGN_MIN_COSINE answers it."""


def ask(
    question: str,
    *,
    k: int | None = None,
    history: History | None = None,
    sources: list[str] | None = None,
    settings: Settings | None = None,
) -> Answer:
    """Answer a question from the indexed sources, every sentence cited, or refuse with the closest material."""
    result: Answer | None = None
    for event in ask_stream(question, k=k, history=history, sources=sources, settings=settings):
        if isinstance(event, Answer):
            result = event
    assert result is not None  # ask_stream always ends with an Answer or raises
    return result


def ask_stream(
    question: str,
    *,
    k: int | None = None,
    history: History | None = None,
    sources: list[str] | None = None,
    settings: Settings | None = None,
) -> Iterator[Partial | Answer]:
    """Yield Partial updates while the answer is made, then the final, checked Answer."""
    settings = settings or get_settings()
    began = time.perf_counter()
    question = check_query(question, settings, what="question")
    k = settings.answer_k if k is None else k
    model = make_chat_model(settings)
    budget = Budget(settings.llm_timeout)
    query, rewrite = _standalone(question, history, model, settings, budget)
    if model is None:
        events = _extractive(prepare(question, query, k, sources, settings), settings, began)
    else:
        from bot.answer_llm import _llm_answer  # bot.answer_llm builds on this module's extractive answerer

        events = _llm_answer(model, question, query, k, sources, settings, began, budget)
    for event in events:
        if isinstance(event, Answer):
            event.rewrite = rewrite
        yield event


def prefer_originals(passages: list[Passage], settings: Settings) -> list[Passage]:
    """Drop passages of digests whose original is ingested too: an answer quotes the original's words."""
    superseded = superseded_sources(settings)
    return [p for p in passages if p.source_id not in superseded] if superseded else passages


def prepare(question: str, query: str, k: int, sources: list[str] | None, settings: Settings) -> _Prepared:
    """Retrieve passages, split them into sentences and score each sentence against the query."""
    from bot.embeddings import embed_query

    t0 = time.perf_counter()
    # "ppl" -> "people", "es" -> "El Salvador": the sources' words
    query, asked = (spell_out_initials(expand_shorthand(q), settings) for q in (query, question))
    passages = prefer_originals(retrieve(query, k, sources=sources, settings=settings), settings)
    focus = focus_of(asked, index_idf(settings), stem, index_names(settings))
    passages = _with_author(_with_definition(passages, focus, sources, settings), asked, settings)
    qvec = embed_query(query, settings)
    passages = prefer_originals(with_nearest_sentences(passages, qvec, sources, settings), settings)
    t1 = time.perf_counter()
    cands = candidate_sentences(passages)
    vectors = candidate_vectors(cands, passages, settings)
    cosines = vectors @ qvec if cands else np.zeros(0, dtype=np.float32)
    terms = term_weights(query, settings)
    covs = np.array([coverage(terms, c.text) for c in cands], dtype=np.float32)
    before = _previous(cands)
    entries = load_manifest(settings).sources
    contexts = [_context(p, entries) for p in passages]
    fits = np.array(
        [
            meets(
                focus,
                c.text,
                cands[b].text if b >= 0 else "",
                asked,
                contexts[c.passage],
                source_text(passages[c.passage].source_id, settings),
                f"{passages[c.passage].title} {passages[c.passage].date}",
                _by(passages[c.passage], entries),
            )
            for c, b in zip(cands, before, strict=True)
        ],
        dtype=bool,
    )
    # Only a sentence that gives the kind of answer asked for, and meets the question's years and specific words,
    # can make the question answerable: the nearest sentence is not an answer by being near.
    unknown = [  # words of no source, in no form; a month typed short ("jan-aug") is read by the focus rules
        t for t in unseen(unknown_terms(query, settings), index_idf(settings)) if not _month_word(t, focus.months)
    ]
    check = answerability(cosines[fits], covs[fits], unknown, settings)
    # Only in a figure question: "how many were pardoned" asks for a measure no source takes, while a word of the
    # debater's own in "what excuse did the assembly give" is more often a paraphrase of the source's ("justifying").
    # And only in its main clause: "the spike of violence that triggered the emergency" describes, it does not ask.
    main = re.split(r"\b(?:that|which)\b", asked, maxsplit=1)[0]
    foreign = focus.kind in ("number", "year") and any(
        has_word(main, t) for t in foreign_terms(check.unknown, index_idf(settings))
    )
    # A country no source names ("whats cuba's prison rate") is what the question is about, in any kind of question.
    foreign = foreign or any(is_country(t) for t in check.unknown)
    if check.answerable and foreign:
        # A word no source uses ("escaped") is what the question is about: the nearest figure is not its answer.
        check = replace(check, answerable=bool((cosines[fits] >= FOREIGN_MIN_COSINE).any()))
    if not check.answerable and not foreign and not unknown and bool((fits & (covs >= FULL_COVERAGE)).any()):
        # A sentence that meets the focus and holds nearly every weighted term of the question answers it, however
        # far its other words take its vector ("..., said David Morales, who leads Cristosal's transitional justice
        # work" for "who leads cristosal's transitional justice work": cosine 0.30).
        check = replace(check, answerable=True)
    sure = np.zeros(len(cands), dtype=bool)
    if focus.kind in ("expansion", "place", "person", "other"):  # answers by its form alone (bot.focus.decisive)
        sure = np.array(
            [
                bool(fits[i])
                and (focus.kind in ("expansion", "other") or float(cosines[i]) >= DECISIVE_MIN_COSINE)
                and decisive(focus, c.text, cands[b].text if b >= 0 else "", asked)
                for i, (c, b) in enumerate(zip(cands, before, strict=True))
            ],
            dtype=bool,
        )
        if sure.any() and not check.answerable:
            check = replace(check, answerable=True)
    scores = cosines + LEXICAL_WEIGHT * covs
    if _ASKS_NUMBER.search(asked) and cands:
        scores = scores + NUMBER_BONUS * np.array([bool(re.search(r"\d", c.text)) for c in cands], dtype=np.float32)
    if focus.kind != "other" and cands:
        scores = scores + TYPE_BONUS * np.array([gives_strongly(focus, c.text) for c in cands], dtype=np.float32)
    scores = np.where(fits, scores, scores - UNFIT_PENALTY) if len(cands) else scores
    scores = scores + DECISIVE_BONUS * sure if len(cands) else scores
    timings = {"retrieve_ms": (t1 - t0) * 1000, "score_ms": (time.perf_counter() - t1) * 1000}
    found = (question, query, passages, cands, scores, vectors, cosines, covs, check, timings, focus, fits, before)
    return _Prepared(*found, decisive=bool(sure.any()), foreign=foreign)


FULL_COVERAGE = 0.9
"""The IDF-weighted share of the question's terms above which a fitting sentence answers below the cosine floor. On
the dev split (parts a-j) every value from 0.8 to 0.99 answers one more question and refuses the same near misses;
0.7 answers two more and refuses two fewer. Not fitted further."""


def _month_word(word: str, months: Sequence[str]) -> bool:
    """True when the word is one of the question's months, typed short ("jan", "sept")."""
    return len(word) <= 4 and word[:3] in months


def _with_definition(
    passages: list[Passage], focus: Focus, sources: list[str] | None, settings: Settings
) -> list[Passage]:
    """Put first the passage that spells out the acronym an expansion question asks about ("what does iachr stand
    for"), when the retrieved ones do not: the sentence that defines it ("The Inter-American Commission on Human
    Rights released ...") resembles the question little and may not even use the acronym. It is looked for in the
    sources of the retrieved passages."""
    acronym = focus.acronym
    if focus.kind != "expansion" or not acronym:
        return passages

    def definition(text: str) -> re.Match[str] | None:
        return expanded_before(text, acronym) or spelling_out(text, acronym.lower())

    if any(definition(p.text) for p in passages):
        return passages
    # The retrieved passages' sources first, then any other: an acronym no source uses ("idb") is found by its
    # spelling out alone.
    others = [sid for sid in load_manifest(settings).sources if sid not in {p.source_id for p in passages}]
    for sid in [*dict.fromkeys(p.source_id for p in passages), *others]:
        found = definition(source_text(sid, settings))
        if found is None:
            continue
        there = [p for p in all_passages(settings, [sid]) if p.start <= found.start() and found.end() <= p.end]
        if there:
            return there[:1] + passages[: max(len(passages) - 1, 1)]
    return passages


_ASKS_AUTHOR = re.compile(r"^\W*who\s+(?:wrote|authored|penned|co-?wrote|(?:is|was|are|were)\s+the\s+authors?)\b", re.I)


def _with_author(passages: list[Passage], question: str, settings: Settings) -> list[Passage]:
    """Put first, for "who wrote ...", the passage of the best retrieved source that names its author (from the
    front matter's ``author``): the text introduces its authors once, in a passage that need not resemble the
    question."""
    if not _ASKS_AUTHOR.search(question) or not passages:
        return passages
    entries = load_manifest(settings).sources
    for sid in dict.fromkeys(p.source_id for p in passages):
        author = str(entries.get(sid, {}).get("meta", {}).get("author", "") or "")
        surnames = [part.split()[-1] for part in re.split(r",|\band\b|&", author) if part.split()]
        if not surnames:
            continue
        for p in all_passages(settings, [sid]):
            if any(fold(n).lower() in fold(p.text).lower() for n in surnames):
                return [p, *[q for q in passages if q.id != p.id][: max(len(passages) - 1, 1)]]
        return passages
    return passages


def _context(p: Passage, sources: dict[str, Any]) -> str:
    """Return what a sentence's passage says about it: its text, its source's title, publisher, author and date
    (``sources``: the manifest's entries)."""
    month = MONTHS[int(p.date[5:7]) - 1] if re.match(r"\d{4}-(0[1-9]|1[0-2])", p.date) else ""
    return f"{p.text} {p.title} {_by(p, sources)} {p.date} {month}"


def _by(p: Passage, sources: dict[str, Any]) -> str:
    """Return who wrote a passage's source: its publisher and author (for "what did X say" questions)."""
    return f"{p.publisher} {sources.get(p.source_id, {}).get('meta', {}).get('author', '')}"


MONTHS = "January February March April May June July August September October November December".split()


def _previous(cands: list[Candidate]) -> list[int]:
    """Return, per candidate, the candidate just before it in the same passage (-1 for a passage's first)."""
    out: list[int] = []
    last: dict[int, int] = {}
    for i, c in enumerate(cands):
        out.append(last.get(c.passage, -1))
        last[c.passage] = i
    return out


def _extractive(prepared: _Prepared, settings: Settings, began: float) -> Iterator[Partial | Answer]:
    if not prepared.check.answerable:
        yield _refusal(prepared, "extractive", began)
        return
    chosen = _with_context(prepared, _choose(prepared, settings.answer_max_sentences), settings)
    # Reading order: sources in the order of their best sentence, sentences within a source in text order.
    rank_of_source: dict[str, int] = {}
    for i in chosen:
        rank_of_source.setdefault(prepared.passages[prepared.cands[i].passage].source_id, len(rank_of_source))
    chosen.sort(
        key=lambda i: (rank_of_source[prepared.passages[prepared.cands[i].passage].source_id], prepared.cands[i].start)
    )
    citations: list[Citation] = []
    parts: list[str] = []
    for i in chosen:
        cand = prepared.cands[i]
        citation = make_citation(len(citations) + 1, prepared.passages[cand.passage], cand.start, cand.end, settings)
        if not citation.verified:  # pragma: no cover - the offsets come from the stored text itself
            continue
        citations.append(citation)
        parts.append(f"{citation.quote} [{citation.n}]")
        yield Partial(" ".join(parts))
    sentences = [SentenceCheck(c.quote, (c.n,), True, 1.0) for c in citations]
    yield Answer(
        question=prepared.question,
        text=" ".join(parts),
        citations=citations,
        refused=False,
        model="extractive",
        metrics=_metrics(
            prepared, began, citations=len(citations), supported_ratio=1.0, quotes_verified=len(citations)
        ),
        sentences=sentences,
        query=prepared.query,
    )


def _choose(prepared: _Prepared, limit: int) -> list[int]:
    order = list(np.argsort(-prepared.scores, kind="stable"))
    best = float(prepared.scores[order[0]])
    chosen: list[int] = []
    for i in order:
        if len(chosen) >= limit or float(prepared.scores[i]) < best * KEEP_RATIO:
            break
        if chosen and float(np.max(prepared.vectors[chosen] @ prepared.vectors[i])) >= REDUNDANT:
            continue
        chosen.append(int(i))
    return chosen


def _with_context(prepared: _Prepared, chosen: list[int], settings: Settings) -> list[int]:
    """Add what the chosen sentences need to be read: the sentence a "such deaths" refers to, the one that goes on
    from a chosen sentence by referring back to it, a list's items.

    Both come from the stored source, not only from the retrieved passages: a list announced at the end of one
    passage ("The article identifies four mechanisms ...") has its items in the next one.
    """
    out = list(chosen)
    for i in chosen:
        if refers_back(prepared.cands[i].text):
            out += [j for j in _neighbours(prepared, i, -1, settings) if j not in out]
        # And the sentence that goes on from it: "... to separate the most dangerous inmates. He said this was
        # meant to stop prison massacres" (dev a-l: one more answer; the sentence must refer back).
        after = _neighbours(prepared, i, 1, settings)
        if after and after[0] not in out and refers_back(prepared.cands[after[0]].text):
            out.append(after[0])
    if prepared.focus is not None and prepared.focus.wants_list and chosen:
        out += [j for j in _neighbours(prepared, chosen[0], LIST_ITEMS, settings) if j not in out]
    return out


def _neighbours(prepared: _Prepared, i: int, n: int, settings: Settings) -> list[int]:
    """Return candidates for the ``n`` sentences after candidate ``i`` in its paragraph (the one before it when
    ``n`` is -1), adding the ones retrieval did not bring."""
    cand = prepared.cands[i]
    text = source_text(prepared.passages[cand.passage].source_id, settings)
    lo = text.rfind("\n", 0, cand.start) + 1
    if n < 0 and not text[lo : cand.start].strip():  # the paragraph's first sentence leans on the last paragraph
        lo = text[:lo].rstrip().rfind("\n") + 1
    hi = text.find("\n", cand.end)
    hi = len(text) if hi < 0 else hi
    spans = [(a, b) for a, b in split_sentences(text[lo:hi], base=lo) if is_sentence(text[a:b])]
    spans = [sp for sp in spans if sp[1] <= cand.start][-1:] if n < 0 else [sp for sp in spans if sp[0] >= cand.end][:n]
    sid = prepared.passages[cand.passage].source_id
    known = {(prepared.passages[c.passage].source_id, c.start): j for j, c in enumerate(prepared.cands)}
    out = []
    for a, b in spans:
        if (sid, a) not in known:
            prepared.cands.append(Candidate(cand.passage, text[a:b], a, b))
            known[(sid, a)] = len(prepared.cands) - 1
        out.append(known[(sid, a)])
    return out


def _refusal(prepared: _Prepared, model: str, began: float) -> Answer:
    return Answer(
        question=prepared.question,
        text=REFUSAL,
        citations=[],
        refused=True,
        model=model,
        metrics=_metrics(prepared, began, citations=0, supported_ratio=0.0, quotes_verified=0),
        closest=prepared.passages[:3],
        query=prepared.query,
    )


def _metrics(prepared: _Prepared, began: float, **extra: float | int) -> dict[str, float | int]:
    out: dict[str, float | int] = {
        "best_cosine": round(prepared.check.cosine, 4),
        "best_coverage": round(prepared.check.coverage, 4),
        "passages": len(prepared.passages),
        **{k: round(v, 2) for k, v in prepared.timings.items()},
        **extra,
    }
    out["total_ms"] = round((time.perf_counter() - began) * 1000, 2)
    return out
