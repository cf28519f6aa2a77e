"""Does a sentence answer *this* question, not only resemble it? The question's answer type and its focus.

A question asks for a kind of answer (a number, a year or date, a place, a person or organisation, what an acronym
stands for, a reason, a list) and carries constraints of its own: the years it names ("in 2019"), and its specific
words ("escaped", "convicted", "journalists"), the ones that occur in few passages of the index. A sentence
answers only when it gives that kind of answer and meets every constraint, in itself or in the sentence just before
it (which it may refer back to). Retrieval finds the right passage; this decides whether the nearest sentence is an
answer or only nearby, so the bot refuses rather than serving the 2024 count to a question about 2019.

The rules are plain English patterns, not topic words; ``FOCUS_MIN_IDF`` was set on the eval set's dev split
(``python -m bot eval --calibrate`` reports the grid) and the figures are reported on its test split.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

FOCUS_MIN_IDF = 5.1
"""A question word is a constraint when it occurs in very few passages (BM25 IDF at least this; 5.16 is a word of
one passage on the shipped corpus). Chosen on the eval set's dev split (104 questions) from 3.0 to 5.1 and off:
lower values refuse more near misses (recall 0.84 at 4.0) but also many answerable questions (precision 0.58), and
the refusal decision is most accurate here (0.86 on dev, with the thresholds in settings)."""

TERMS_IN_SENTENCE = True
"""The specific words must be in the sentence or the one before it (not only somewhere in its passage)."""

_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundreds?|"
    r"thousands?|millions?|billions?|dozens?|half|third|quarter|doubled?|tripled?"
)
_TYPES = (
    ("expansion", re.compile(r"\b(stand|stands|short)\s+for\b|\bacronym\b|\bwhat does [A-Z]{2,}\b\s+mean", re.I)),
    ("reason", re.compile(r"^\s*(why|how come)\b|\bwhat (reason|caused|explains)\b|\bfor what reason\b", re.I)),
    ("year", re.compile(r"^\s*when\b|\b(what|which|in what) (year|date|month|day)\b", re.I)),
    (
        "number",
        re.compile(
            r"\bhow (many|much|long|often|large|big)\b|\bwhat (percentage|percent|share|number|proportion|rate|"
            r"total|figure|count|amount|cost|price|fee|capacity|size)\b|\b(avg|average)\b|\bhow many\b",
            re.I,
        ),
    ),
    (
        "place",
        re.compile(r"^\s*where\b|\b(what|which|in what) (town|city|country|department|region|place|state)\b", re.I),
    ),
    (
        "person",
        re.compile(
            r"^\s*(who|whom)\b|\b(what|which) (organi[sz]ation|group|agency|court|judge|minister|official)\b", re.I
        ),
    ),
    (
        "list",
        re.compile(
            rf"\bwhat (are|were) the\b|\b(list|name) (the|all|some)\b|\bwhat ({_NUMBER_WORDS}|several|main) \w+s\b"
            r"|\bwhich \w+s (are|were|did)\b",
            re.I,
        ),
    ),
)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_MONTH = re.compile(
    r"\b(january|february|march|april|may|june|july|august|september|october|november|december)\b", re.I
)
_LOCATED = re.compile(
    r"\b(?:in|at|near|outside|from|of|to|located|lies|based)\s+(?:the\s+)?(?:town|city|department|municipality|"
    r"province|region|state|country)?\s*(?:of\s+)?([A-Z][a-zà-ÿ]{2,})"
)
_HAS_NUMBER = re.compile(rf"\d|\b({_NUMBER_WORDS})\b", re.I)
_CAUSE = re.compile(
    r"\b(because|due to|as a result|since|so that|in order to|led to|leads? to|caused|causes|reasons?|after|amid|"
    r"thanks to|blamed|attribut\w+|result of|aimed|designed to|meant to|so as to|drove|driven|why)\b",
    re.I,
)
_REFERS_BACK = re.compile(
    r"^\s*(such|this|these|that|those|they|it|he|she|the (figure|number|count|report|measure|law|move|decision))\b"
    r"|\bsuch (deaths|cases|people|figures|killings|arrests)\b",
    re.I,
)
_WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’-]+")
GENERIC = frozenset(
    """hold held have has had get got make made take took give gave say said tell told do does did go went come came
    happen happened use used keep kept put show shown mean means call called know known think thought become became
    many much number year years date time times total figure amount rate percentage percent share cost
    what which who whom when where why how does did is are was were the a an of in on at to for from by with""".split()
)


@dataclass(frozen=True)
class Focus:
    """What a question asks for: its answer type, the years it names, its specific words and its acronym."""

    kind: str
    years: tuple[str, ...]
    terms: tuple[str, ...]
    acronym: str = ""

    @property
    def wants_list(self) -> bool:
        return self.kind == "list"


_MEASURE = re.compile(r"\b(rate|number|total|count|share|percentage|percent|figure|toll|amount|cost|capacity)\b", re.I)


def question_kind(question: str) -> str:
    """Return the answer type a question asks for ("other" when none is clear)."""
    for kind, pattern in _TYPES:
        if pattern.search(question):
            return kind
    if _MEASURE.search(question):  # "homicide rate 2024 per 100k": a bare measure asks for a figure
        return "number"
    return "other"


_STRONG = {
    "place": re.compile(r"\b(in|at|near|outside|of|from)\s+(the\s+)?[A-Z][a-zà-ÿ]+"),
    "person": re.compile(r"\b[A-Z][a-zà-ÿ]+\s+[A-Z][a-zà-ÿ]+"),
    "reason": re.compile(r"\b(because|due to|as a result|driven|thanks to|in order to|so that|led to|caused)\b", re.I),
    "number": re.compile(r"\d"),
    "year": _YEAR,
    "expansion": re.compile(r"\b[A-Z][a-z]+\s+(?:(?:for|of|the|de|del|la)\s+)*[A-Z][a-z]+\b.{0,3}\(?[A-Z]{2,}"),
}


def gives_strongly(focus: Focus, sentence: str) -> bool:
    """Return True when the sentence plainly holds the kind of answer asked for (ranks it above near ones)."""
    pattern = _STRONG.get(focus.kind)
    return bool(pattern and pattern.search(sentence))


def focus_of(question: str, idf: dict[str, float], stem: Callable[[str], str]) -> Focus:
    """Return the question's focus; ``idf`` and ``stem`` are the index's (``bot.retrieval``)."""
    kind = question_kind(question)
    years = tuple(dict.fromkeys(_YEAR.findall(question)))
    acronym = next(iter(re.findall(r"\b[A-Z]{2,}[A-Z0-9-]*\b", question)), "") if kind == "expansion" else ""
    terms = []
    for word in _WORD.findall(question):
        low = word.lower()
        if low in GENERIC or len(low) < 4 or low == acronym.lower():
            continue
        if idf.get(stem(low), 0.0) >= FOCUS_MIN_IDF:
            terms.append(low)
    return Focus(kind, years, tuple(dict.fromkeys(terms)), acronym)


def _has_word(text: str, word: str) -> bool:
    """True when the text holds the word or a form of it (same first five letters, or the whole word if shorter)."""
    root = re.escape(word[:5] if len(word) > 5 else word)
    return re.search(rf"\b{root}", text, re.I) is not None


def meets(focus: Focus, sentence: str, before: str = "", question: str = "", passage: str = "") -> bool:
    """Return True when ``sentence`` can answer the question.

    The years and the specific words must be in the sentence, the one ``before`` it, or its ``passage`` (with the
    source's title and date): a sentence answers in context ("In October 2023 ... It held about 12,000").
    """
    where = f"{before} {sentence} {passage}"
    if any(y not in where for y in focus.years):
        return False
    near = f"{before} {sentence}" if TERMS_IN_SENTENCE else where
    if any(not _has_word(near, t) for t in focus.terms):
        return False
    return _gives(focus, sentence, question)


def _gives(focus: Focus, sentence: str, question: str) -> bool:
    kind = focus.kind
    if kind == "number":
        return bool(_HAS_NUMBER.search(sentence))
    if kind == "year":
        return bool(_YEAR.search(sentence) or _MONTH.search(sentence))
    asked = {w.lower() for w in _WORD.findall(question)}
    if kind == "place":  # a name after a word of place: "is in Tecoluca", "southeast of the capital, San ..."
        return any(m.group(1).lower() not in asked for m in _LOCATED.finditer(sentence))
    if kind == "person":
        names = [w for w in _WORD.findall(sentence)[1:] if w[0].isupper() and w.lower() not in asked]
        return bool(names)
    if kind == "expansion":
        if not focus.acronym or focus.acronym not in sentence:
            return False
        return bool(
            re.search(
                rf"\(\s*{re.escape(focus.acronym)}\s*\)|{re.escape(focus.acronym)}\s*\(|stands? for|"
                rf"short for|acronym|[A-Z][a-z]+\s+(?:[a-z]+\s+)?[A-Z][a-z]+",
                sentence,
            )
        )
    if kind == "reason":
        return bool(_CAUSE.search(sentence))
    return True


def refers_back(sentence: str) -> bool:
    """Return True when a sentence leans on the one before it ("Such deaths ...", "This figure ...")."""
    return bool(_REFERS_BACK.search(sentence))
