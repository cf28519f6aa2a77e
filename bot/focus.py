"""Does a sentence answer *this* question, not only resemble it? The question's answer type and its focus.

A question asks for a kind of answer (a number, a year or date, a place, a person or organisation, what an acronym
stands for, a reason, a list) and carries constraints of its own: the years it names ("in 2019"), the rarer names it
is about ("Honduras", "Boasberg") and what a "how many" question counts ("journalists"). A sentence answers only when
it gives that kind of answer and meets every constraint, in itself, in the sentence just before it (which it may
refer back to) or, for names and years, in its passage and source. Retrieval finds the right passage; this decides
whether the nearest sentence is an answer or only nearby, so the bot refuses rather than serving the 2024 count to a
question about 2019, or El Salvador's homicides to a question about Honduras. A few sentences answer by their form
alone (``decisive``): an acronym spelled out beside it, "X is in Tecoluca" for where X is, "its director, Y" for
who holds a role, "X, the research unit of ..." for what X is. What the question's qualifiers require (what it
counts, what happened to it, what a rate measures) is in ``bot.qualifiers``.

The rules are plain English patterns, not topic words. They were designed on the eval set's dev split and the
figures are reported on its test split; the refusal thresholds are calibrated on dev (``python -m bot eval
--calibrate`` reports the grid).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from bot.figures import (
    ASKS_SENTENCE,
    ASKS_SHARE,
    MONTH_NAME,
    NUMBER_WORDS,
    SHARE_OF_THEM,
    YEAR,
    days_named,
    gives_figure,
    other_day,
)
from bot.qualifiers import (
    ACTOR_ALIASES,
    ANYONE,
    GENERIC,
    PARTICIPLE,
    actors,
    counted_noun,
    counts,
    event_verb,
    groups_asked,
    happened,
    has_word,
    measured_noun,
    measures,
    named_actor,
    names_group,
    share_predicate,
    spelt_out,
)
from bot.text import fold

FOCUS_MIN_IDF = float("inf")
"""Off. A question word was a constraint when its BM25 IDF reached this (a word of one passage). An absolute IDF
depends on the corpus size: the value picked on the dev split (5.1) never fired on the 244 passages it was chosen on,
and on 359 passages it refused every question with a one-passage word (answer accuracy 0.84 -> 0.77 on dev). The
names and counted-noun constraints below do that job without depending on the corpus size."""

NAME_MAX_SHARE = 0.05
"""A name in the question ("Honduras", "Boasberg") is a constraint when it occurs in at most this share of the
passages. The topic's own names ("El Salvador", "CECOT", "Bukele") are in most passages and answering sentences often
leave them out; a rarer one is what the question is about. Set by that reasoning, not by a grid: a question about
Honduras is not answered by a sentence about El Salvador."""

ACTOR_MAX_SHARE = 0.25
"""Who a figure is attributed to ("according to reuters") constrains unless it is in more than this share of the
passages: a news agency cited by a few sources is not the topic's own name ("Bukele", "CECOT"), which answers leave
out. Set by that reasoning, not by a grid."""

YEARS_OWN = True
"""A sentence that names a year of its own must name the question's years (or the one before it must)."""

TERMS_IN_SENTENCE = True
"""The specific words must be in the sentence or the one before it (not only somewhere in its passage)."""

_TYPES = (
    (
        "other",  # "what happened to how long ppl can be held", "how big a role did X play": no figure is asked for
        re.compile(
            r"^\W*(?:what(?:['’]?s)?\s+(?:happened|happening|happens)|what (?:kind|sort|type)s? of|how big an?)\b", re.I
        ),
    ),
    ("expansion", re.compile(r"\b(stand|stands|short)\s+for\b|\bacronym\b|\bwhat does [A-Z]{2,}\b\s+mean", re.I)),
    ("reason", re.compile(r"^\s*(why|how come)\b|\bwhat (reason|caused|explains)\b|\bfor what reason\b", re.I)),
    ("year", re.compile(r"^\s*when\b|\b(what|which|in what) (year|date|month|day)\b", re.I)),
    (
        "number",
        re.compile(
            r"\bhow (many|much|long|often|large|big|high|tall|far|old|deep|wide|heavy)\b|"
            r"\bwhat (percentage|percent|share|number|proportion|fraction|rate|"
            r"total|figure|count|amount|cost|price|fee|capacity|size|age)\b|\bwhat\s+%|\b(avg|average)\b|\bhow many\b|"
            r"\b(by|at|from) what (margin|age|rate)\b|"
            r"\bwhat(?:['’]s|\s+(?:was|were|is|are))\s+the\s+(vote|margin|tally|score|split|turnout|population|budget)\b|"
            + ASKS_SENTENCE,
            re.I,
        ),
    ),
    (
        "place",
        re.compile(
            r"^\s*where\b|\b(what|which|in what) (towns?|city|cities|country|countries|departments?|regions?|places?|"
            r"states?|provinces?|municipality|municipalities|districts?|neighbou?rhoods?|prisons?)\b"
            r"(?!\s+(?:judges?|courts?|attorneys?|officials?|directors?|authorit|guards?|officers?|staff|leaders?))",
            re.I,
        ),
    ),
    (
        "person",
        re.compile(
            r"^\s*(who|whom)\b|\bwhich (?!did\b|does\b|do\b|is\b|are\b|was\b|were\b)[\w-]+ (judges?|justices?|"
            r"courts?|ministers?|officials?)\b|"
            r"\b(what|which) (organi[sz]ations?|groups?|agency|agencies|courts?|judges?|justices?|"
            r"ministers?|officials?|gangs?|party|parties|company|companies|firms?|body|bodies|newspapers?|outlets?|"
            r"institutes?|university|universities|factions?|unions?|ngos?|decree|plan|programme|program|operation|"
            r"treaty|bill)\b|\bwhat (is|was) the name of\b",
            re.I,
        ),
    ),
    (
        "list",
        re.compile(
            rf"\bwhat (are|were) the\b|\b(list|name) (the|all|some)\b"
            rf"|\b(what|which) ({NUMBER_WORDS}|several|main|[2-9]) \w+s\b"
            r"|\bwhich \w+s (are|were|did)\b|\bwhat \w+s (do|does|did|have|has)\b|\blist( them| all)?\W*$",
            re.I,
        ),
    ),
)
_RANKED = re.compile(
    r"^\W*where\s+(?:did|does|do|is|was|are|were|has|have|had)\b[^?]*\b(?:rank|ranked|ranks|placed|come|came"
    r"|finish|finished|stand|stood|rate|rated|sit|sat|fall|fell|score|scored)\b",
    re.I,
)
_ISSUED = re.compile(
    r"\b((?:19|20)\d\d)\s+(?:[a-z]+\s+)?(report|poll|survey|study|ranking|index|census|ruling|article|paper|"
    r"review|yearbook|book|brief|data|dataset|edition|update)s?\b",
    re.I,
)
_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
_SENTENCE_MONTH = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|"
    r"Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b\.?"
)


def asked_months(question: str) -> tuple[str, ...]:
    """Return the months a question dates by (each with a year after it, or a day before it), as "jan" ... "dec"."""
    found = []
    for m in re.finditer(rf"\b{MONTH_NAME}\b", question, re.I):
        rest = question[m.end() : m.end() + 40]
        ranged = re.match(rf"\.?\s*(?:-|–|to|and|or)\s*{MONTH_NAME}\.?\s+(?:\d{{1,2}},?\s+)?(?:19|20)\d\d", rest, re.I)
        dated = re.match(r"\.?\s+(?:\d{1,2},?\s+)?(?:19|20)\d\d\b", rest) or ranged
        if dated or re.search(r"\b\d{1,2}\s+$", question[: m.start()]):
            found.append(m.group(1)[:3].lower())
    return tuple(dict.fromkeys(found))


def months_in(text: str) -> set[str]:
    """Return the months a text names (capitalised, so that "may" the verb is not May)."""
    return {m.group(1)[:3].lower() for m in _SENTENCE_MONTH.finditer(text)}


def _dated_months(published: str) -> set[str]:
    """Return the month of an ISO date in the source's title and date ("2025-05-16" -> "may")."""
    return {_MONTHS[int(m.group(1)) - 1] for m in re.finditer(r"\b(?:19|20)\d\d-(0[1-9]|1[0-2])-\d\d\b", published)}


_POSSESSIVE = re.compile(r"['’]s?$")
_MONTH = re.compile(
    r"\b(january|february|march|april|may|june|july|august|september|october|november|december)\b", re.I
)
_LOCATED = re.compile(
    r"\b(?:in|at|near|outside|from|of|to|located|lies|based)\s+(?:the\s+)?(?:town|city|department|municipality|"
    r"province|region|state|country)?\s*(?:of\s+)?"
    r"(?!(?:January|February|March|April|May|June|July|August|September|October|November|December|Monday|Tuesday"
    r"|Wednesday|Thursday|Friday|Saturday|Sunday)\b)([A-Z][a-zà-ÿ]{2,})"
    r"|\b(?:at|in|inside|to)\s+(?:a|an|the)\s+(?:\w+\s+)?(police\s+station|prison|jail|detention\s+cent(?:er|re)|"
    r"hospital|military\s+base|base|camp|courthouse|cell|penitentiary|facility|barracks)\b"
)
"""A name after a word of place; a month or a weekday ("in March") is a time, not a place. Or a kind of place
where people are held or tended, with its article ("held her for a week at a police station")."""
_CAUSE = re.compile(
    r"\b(because|due to|as a result|so that|in order to|led to|leads? to|caused|causes|reasons?|after|amid|"
    r"thanks to|blamed|attribut\w+|result of|aimed|designed to|meant to|so as to|drove|driven|why|concluded|"
    r"on the grounds|citing|for fear|given that|owing to|explain\w*|argu\w+ that|credit\w*|tied to|linked to|"
    r"fuel+ed by|stemm\w* from|stems from|rooted in|spurred|triggered|prompted|sparked|set off|motivated"
    r"|contribut\w+ to|behind|because of|responsible for|the result of|to punish|punish\w* (?:\w+ )?for"
    r"|for having|in retaliation|in response to|in exchange for|,\s+so(?!\s+(?:that|far|much|many|long)\b))\b",
    re.I,
)
_REFERS_BACK = re.compile(
    r"^\s*(such|this|these|that|those|they|it|he|she|the (figure|number|count|report|measure|law|move|decision))\b"
    r"|\bsuch (deaths|cases|people|figures|killings|arrests)\b",
    re.I,
)
_WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’-]+")


@dataclass(frozen=True)
class Focus:
    """What a question asks for: its answer type, the years it names, its specific words and its acronym."""

    kind: str
    years: tuple[str, ...]
    terms: tuple[str, ...]
    acronym: str = ""
    names: tuple[str, ...] = ()
    """The question's rarer names: each must be in the answering sentence, the one before it or its passage."""
    counted: str = ""
    """What a "how many" question counts ("journalists" in "how many journalists were jailed"): a figure answers
    only when it counts that (the word is in the sentence or the one before it)."""
    published: tuple[str, ...] = ()
    """The years that date a document ("Gallup's 2024 report", "its 2023 survey"): met by the source's own date."""
    months: tuple[str, ...] = ()
    """The months the question dates its event by ("may" in "May 2025", "jan", "aug" in "jan-aug 2023")."""
    event: str = ""
    """What happened to what a "how many" question counts ("escaped" in "how many prisoners have escaped"): a figure
    answers only when the sentence, or the one before it, says that happened ("released" is not "escaped")."""
    measured: str = ""
    """What a rate or share measures ("incarceration" in "what is the incarceration rate"): in the sentence or its
    passage ("El Salvador's rate went from 107 ..." after a sentence on homicides)."""
    actors: tuple[tuple[str, ...], ...] = ()
    """Who the question attributes its answer to ("according to hrw", "how many ... did amnesty count"): named in
    the sentence, the one before it, its passage or its source's title and publisher (not anywhere in the source:
    a report that mentions Crisis Group once does not give Crisis Group's figures)."""
    said: tuple[str, ...] = ()
    """What a share question says of its group ("trust", "police"): one of them in the sentence or the one before."""
    days: frozenset[tuple[int, str]] = frozenset()
    """The days of the month the question dates by ("26 March"): a sentence dated by other days of it is no answer."""
    speaker: tuple[str, ...] = ()
    """Whose words a "what did X say" question asks for ("attorney general" in "what did el salvador's attorney
    general say about ..."): the sentence, or the one before it, must report them as X's (``speaks``)."""
    groups: tuple[frozenset[str], ...] = ()
    """The parts of the people a figure question names ("... are women"): a figure answers only when the sentence,
    or the one before it, names one of them (``bot.qualifiers.names_group``)."""
    nationals: tuple[frozenset[str], ...] = ()
    """The peoples named for a country that a figure question counts ("venezuelan political prisoners"), each with
    their country's names: a sentence that names another people and not them ("the deal freed 10 Americans who had
    been held in Venezuela") does not answer it."""

    @property
    def wants_list(self) -> bool:
        return self.kind == "list"


_MEASURE = re.compile(
    r"\b(rate|number|total|count|share|percentage|percent|figure|toll|amount|cost|capacity|revenue|revenues|income"
    r"|spending|budget|earnings|turnout|population|salary|debt)\b",
    re.I,
)


_WHAT_MEASURE = re.compile(
    r"^\W*what(?:['’]s|\s+is|\s+was|\s+were|\s+are)\s+(?:the\s+)?(?:[\w-]+['’]s\s+)?"
    r"(?:(?:avg|average|official|total|latest|overall|current|mean|median)\s+)?([a-z]{4,})\b(?!['’])",
    re.I,
)
"""The measure a "what is the X" figure question asks for ("margin" in "what's the margin of error")."""
_HAD_WHAT = re.compile(r"\bhow many\b[^?]*?\b(?:had|have|has)\s+(?:no\s+|a\s+|any\s+)?([a-z]{4,})\b", re.I)
_VOTE_WORDS = frozenset("vote votes tally split result results outcome".split())
"""Measures a figure answers without naming them ("the court ruled seven to two")."""
_DIED_OF = re.compile(
    r"\b(?:died|die|dying|deaths?|killed)\s+(?:of|from|through|due to|because of)\s+([a-z]{3,})", re.I
)
"""What a question says deaths came from ("died of hunger"): the answering sentence must say it too."""


_TYPED_ACRONYM = re.compile(r"\b([a-z]{2,8})\s+(?:stands?|short)\s+for\b|\bwhat does ([a-z]{2,8}) mean\b", re.I)


def question_kind(question: str) -> str:
    """Return the answer type a question asks for ("other" when none is clear)."""
    # The form that opens the question decides: "which court has to work out how much notice ..." asks for a court.
    if _RANKED.search(question):  # "where did X rank": a position, not a place
        return "other"
    found = [(m.start(), i, kind) for i, (kind, pattern) in enumerate(_TYPES) if (m := pattern.search(question))]
    if found:
        return min(found)[2]
    if _MEASURE.search(question):  # "homicide rate 2024 per 100k": a bare measure asks for a figure
        return "number"
    return "other"


_STRONG = {
    "place": _LOCATED,
    "person": re.compile(r"\b[A-Z][a-zà-ÿ]+\s+[A-Z][a-zà-ÿ]+"),
    "reason": re.compile(r"\b(because|due to|as a result|driven|thanks to|in order to|so that|led to|caused)\b", re.I),
    "number": re.compile(r"\d"),
    "year": YEAR,
    "expansion": re.compile(r"\b[A-Z][a-z]+\s+(?:(?:for|of|the|de|del|la)\s+)*[A-Z][a-z]+\b.{0,3}\(?[A-Z]{2,}"),
}


def gives_strongly(focus: Focus, sentence: str) -> bool:
    """Return True when the sentence plainly holds the kind of answer asked for (ranks it above near ones)."""
    pattern = _STRONG.get(focus.kind)
    return bool(pattern and pattern.search(sentence))


def focus_of(
    question: str, idf: dict[str, float], stem: Callable[[str], str], names: frozenset[str] = frozenset()
) -> Focus:
    """Return the question's focus; ``idf``, ``stem`` and ``names`` are the index's (``bot.retrieval``)."""
    kind = question_kind(question)
    years = tuple(dict.fromkeys(YEAR.findall(question)))
    acronym = next(iter(re.findall(r"\b[A-Z]{2,}[A-Z0-9-]*\b", question)), "") if kind == "expansion" else ""
    typed = _TYPED_ACRONYM.search(question) if kind == "expansion" and not acronym else None
    acronym = (
        (typed.group(1) or typed.group(2)).upper() if typed else acronym
    )  # "what does cecot stand for": debaters skip capitals
    terms = []
    for word in _WORD.findall(question):
        low = word.lower()
        if low in GENERIC or len(low) < 4 or low == acronym.lower():
            continue
        if idf.get(stem(low), 0.0) >= FOCUS_MIN_IDF:
            terms.append(low)
    terms += [m.group(1).lower() for m in _DIED_OF.finditer(question) if m.group(1).lower() not in GENERIC]
    had = _HAD_WHAT.search(question)
    if had and had.group(1).lower() not in GENERIC and not PARTICIPLE.fullmatch(had.group(1).lower()):
        terms.append(had.group(1).lower())  # "how many of them had convictions": what they had must be said
    asked_measure = _WHAT_MEASURE.search(question) if kind == "number" else None
    noun = asked_measure.group(1).lower() if asked_measure else ""
    if noun and noun not in GENERIC and noun not in _VOTE_WORDS and not _MEASURE.fullmatch(noun):
        terms.append(noun)  # "what's the margin of error": a figure answers only if it is a margin
    rare = _min_idf_for_share(idf, NAME_MAX_SHARE)
    written = _WORD.findall(question)
    words = [_POSSESSIVE.sub("", w).lower() for w in written]  # "mexico's" is "mexico"
    # Neighbouring names are one name ("Osiris Luna"): a passage that says "Luna" names him. A possessive ends
    # one ("ecuador's bukele-style prisons": Ecuador, then Bukele).
    groups: list[list[str]] = [[]]
    for w, as_typed in zip(words, written, strict=True):
        asked_type = kind == "place" and w in _PLACE_WORDS  # "what city": the kind of answer, not a name in it
        if stem(w) in names and w != acronym.lower() and w[:3] not in _MONTHS and not asked_type:
            groups[-1].append(w)
            if _POSSESSIVE.search(as_typed):
                groups.append([])
        elif groups[-1]:
            groups.append([])
    rare_names = [" ".join(g) for g in groups if any(idf.get(stem(w), 0.0) >= rare for w in g)]
    rare_names += [m.group(1).lower() for m in _THE_COUNTRY.finditer(question)]  # "the us incarceration rate"
    measured = measured_noun(question)
    attributed = _min_idf_for_share(idf, ACTOR_MAX_SHARE)
    found = tuple(
        kept for a in actors(question, names, stem) if (kept := _constraining(a, idf, stem, names, attributed))
    )
    published = tuple(dict.fromkeys(m.group(1) for m in _ISSUED.finditer(question)))
    return Focus(
        kind,
        years,
        tuple(dict.fromkeys(terms)),
        acronym,
        tuple(dict.fromkeys(rare_names)),
        "" if measured else counted_noun(question),
        published,
        asked_months(question),
        event_verb(question),
        measured,
        found,
        share_predicate(question, [w for a in found for w in a]),
        frozenset(days_named(question)),
        speaker_of(question),
        groups=groups_asked(question),
        nationals=peoples_named(question) if kind == "number" else (),
    )


_SAYS_QUESTION = re.compile(
    r"^\W*(?:what|how)\s+(?:did|does|do|has|have|had)\s+(?:the\s+)?(.+?)\s+(?:say|said|think|claim|argue|call|tell"
    r"|announce|respond|reply|answer|conclude|warn|write|describe|make\s+of)\b",
    re.I,
)
_REPORTS = (
    r"said|says|say|told|tells|argued|argues|argue|claimed|claims|called|calls|stated|states|announced|announces"
    r"|noted|notes|added|adds|described|describes|wrote|writes|warned|warns|replied|responded|concluded|concludes"
    r"|insisted|insists|maintained|maintains|denied|denies|rejected|rejects|dismissed|dismisses|asserted|asserts"
    r"|explained|explains|recalled|recalls|acknowledged|admitted|confirmed|confirms|criticised|criticized|praised"
    r"|accused|accuses|defended|defends|urged|urges|asked|asks|condemned|condemns|branded|brands|labell?ed"
    r"|quoted\s+as\s+saying|contended|contends|countered|counters|alleged|alleges|objected|objects|disputed"
    r"|disputes|pointed\s+out|points\s+out|suggested|suggests|reported|reports"
    r"|ruled|rules|ordered|orders|decided|decides|declared|declares|upheld|upholds|refused|refuses|blocked|blocks"
    r"|found|finds|held\s+that|holds\s+that"
)
"""How a speaker's words are reported, a court's or body's decisions among them ("the Supreme Court refused ...")."""


def speaker_of(question: str) -> tuple[str, ...]:
    """Return the head words of whom a "what did X say" question quotes: the words after any owner ("el salvador's
    attorney general" -> attorney, general; "costa rica's govt" -> government), without frame and document words."""
    m = _SAYS_QUESTION.search(question)
    if not m:
        return ()
    phrase = m.group(1).lower()
    phrase = re.split(r"['’]s\s+", phrase)[-1]  # the owner's name is not the speaker
    phrase = re.split(r"\s+(?:of|for|at|from)\s+", phrase)[0]  # "the director of X": the director
    words = [w for w in re.findall(r"[a-z][\w-]*", phrase) if w not in GENERIC and w not in ("el", "la", "los")]
    return tuple(words[-3:])  # the head noun is last: "the presidential human rights commissioner"


def speaks(text: str, speaker: tuple[str, ...]) -> bool:
    """True when the text reports words as the speaker's: its last word near a reporting verb ("the attorney general
    said", "said Giles", "according to the attorney general")."""
    last = speaker[-1]
    head = ACTOR_ALIASES.get(last) or (re.escape(last[:5] if len(last) > 5 else last) + r"\w*")
    head = f"(?:{head})"
    body = fold(text)
    return bool(
        re.search(rf"\b{head}\b[^.;]{{0,120}}?\b(?:{_REPORTS})\b", body, re.I)
        or re.search(rf"\b(?:{_SAID_BY}|according\s+to)\s+(?:[^.;]{{0,40}}?\s)?{head}", body, re.I)
        or re.search(rf"\b{head}['’]s\s+(?:{_OWN_WORDS})\b", body, re.I)
        # "Bukele spoke at the UN. He said ...": a pronoun carries the speaker on into the next sentence.
        or re.search(rf"(?i:\b{head}\b)[^.;]*[.;]\s+(?:He|She|They|It)\s+(?:\w+ly\s+|also\s+)?(?:{_REPORTS})\b", body)
    )


_OWN_WORDS = "view|words|statement|remarks|comments|reply|response|position"
_SAID_BY = "said|says|added|adds|noted|notes|wrote|writes|argued|argues|explained|explains|recalled|concluded|warned"
"""Verbs whose speaker may follow them ("said Giles"); "told the court" or "urged the UN" name whom they address."""


def _constraining(
    actor: tuple[str, ...], idf: dict[str, float], stem: Callable[[str], str], names: frozenset[str], rare: float
) -> tuple[str, ...]:
    """Return the words of an actor an answer must meet: as for names, the topic's own ("cecot", "bukele", in most
    passages) constrain nothing, as answers leave them out."""
    return tuple(w for w in actor if stem(w) not in names or idf.get(stem(w), float("inf")) >= rare)


def _attributed(actor: tuple[str, ...], where: str, source: str) -> bool:
    """True when the sentence's passage names the actor, or names its last word ("Luna") in a source that names
    all of it ("Osiris Luna")."""
    if named_actor(where, actor):
        return True
    phrase = r"\W+".join(re.escape(fold(w)) for w in actor)
    body = fold(source)
    if named_actor(where, actor[-1:]) and re.search(rf"\b{phrase}", body, re.I) is not None:
        return True
    # A role the source gives someone by name ("Security Minister Gustavo Villatoro", "Villatoro, the security
    # minister"): a passage that names them names the role's holder.
    held = re.findall(rf"(?i:\b{phrase})\s+((?:[A-Z][\w'-]+\s+){{0,2}}[A-Z][\w'-]{{2,}})", body)
    held += re.findall(rf"\b([A-Z][\w'-]{{2,}}),\s+(?:the\s+|a\s+|an\s+)?(?:[\w-]+\s+){{0,2}}(?i:{phrase})\b", body)
    surnames = {name.split()[-1] for name in held}
    return any(re.search(rf"\b{re.escape(n)}\b", fold(where)) for n in surnames)


def _min_idf_for_share(idf: dict[str, float], share: float) -> float:
    """Return the IDF of a word in ``share`` of the passages (BM25's idf = log((n + 1) / (df + 0.5)); the rarest
    word, in one passage, tells n)."""
    if not idf:
        return float("inf")
    n = 1.5 * math.exp(max(idf.values())) - 1
    return math.log((n + 1) / (share * n + 0.5))


@functools.cache
def _countries() -> frozenset[str]:
    import pycountry

    names = set()
    for country in pycountry.countries:
        for field in ("name", "common_name"):
            value = getattr(country, field, "")
            if value:
                names.add(fold(value).lower())
    return frozenset(names)


def is_country(name: str) -> bool:
    """True when a question's name is a country's ("ecuador", "costa rica"; pycountry's names, without accents; "us"
    and "uk" as debaters type them)."""
    return fold(name).lower() in _countries() or name in _COUNTRY_SHORT or name in _CONTINENTS


_NATIONAL = re.compile(r"\b([a-z]{3,}?)(?:ians?|eans?|ans?)\b", re.I)


@functools.lru_cache(maxsize=4096)
def peoples_named(text: str) -> tuple[frozenset[str], ...]:
    """Return, for each people named for a country in a text ("how many venezuelan political prisoners ...", "the
    deal freed 10 Americans"), the words that name them or their country."""
    out = []
    for m in _NATIONAL.finditer(text):
        word, root = m.group(0).lower(), m.group(1).lower()
        homes = sorted(c for c in _countries() if any(w.startswith(root) for w in c.split()) and len(c) < 30)
        if homes and (len(root) >= 5 or any(w == root or w == root + "a" for c in homes for w in c.split())):
            base = word[:-1] if word.endswith("s") else word
            out.append(frozenset([base, base + "s", *homes, *(_US_NAMES if root.startswith("americ") else ())]))
    return tuple(out)


_US_NAMES = ("u.s.", "united states")


def _other_people(sentence: str, asked: tuple[frozenset[str], ...]) -> bool:
    """True when the sentence names a people named for a country, and none of the ones asked about."""
    named = peoples_named(sentence)
    words = {w for g in asked for w in g if not is_country(w)}
    return bool(named) and not any(re.search(rf"\b{re.escape(w)}\b", sentence, re.I) for w in words)


_COUNTRY_SHORT = frozenset({"us", "uk"})
_CONTINENTS = frozenset(["europe", "asia", "africa", "oceania", "antarctica", "north america", "south america"])
"""Continents, which, like a country, a report names in passing: a question about tourists from Europe is answered
only in a passage that names Europe. (Not a region a report is about throughout, such as "Latin America and the
Caribbean", whose passages say "the region".)"""
_COUNTRY_FULL = {"us": "united states", "uk": "united kingdom"}
"""A country as debaters type it, by its name: "in the us" and "in the United States" place a figure alike."""
_IN_ASKED = re.compile(r"\bin\s+(?:the\s+)?([a-z]+(?:\s+[a-z]+){0,2})", re.I)
_IN_STATED = re.compile(r"\b[Ii]n\s+(?:the\s+)?([A-Z][a-zà-ÿ]+(?:\s+[A-Z][a-zà-ÿ]+){0,2})")


def _countries_after_in(text: str, pattern: re.Pattern[str]) -> set[str]:
    """Return the countries a text places something in ("convicted in the United States" -> united states)."""
    out = set()
    for m in pattern.finditer(text):
        words = m.group(1).split()
        for n in range(len(words), 0, -1):  # the longest country name first: "costa rica", not "costa"
            name = " ".join(words[:n]).lower()
            if is_country(name):
                out.add(_COUNTRY_FULL.get(name, name))
                break
    return out


def _elsewhere(question: str, sentence: str) -> bool:
    """True when the question places its answer in a country ("convictions in venezuela") and the sentence places
    its own in another one and not that one ("convicted in the United States")."""
    asked = _countries_after_in(question, _IN_ASKED)
    if not asked:
        return False
    # Where the sentence places its own figure ("convicted in the United States"), or, if it names no place, whose
    # figure it is: "88% of Salvadorans" is El Salvador's.
    stated = _countries_after_in(sentence, _IN_STATED) or {
        c for g in peoples_named(sentence) for c in g if c in _countries()
    }
    return bool(stated) and not asked & stated


_THE_COUNTRY = re.compile(r"\bthe (us|uk)\b(?!\s+(?:and|or)\b)")
"""A country typed in lower case after "the" ("the us rate"): a name the answer must meet, read by its alias."""


def named_in(text: str, name: str) -> bool:
    """True when the text names it: any word of the name ("Luna" for "osiris luna"), or an acronym spelt out."""
    if name in ACTOR_ALIASES:  # "us": "U.S.", "United States", "American"
        return re.search(ACTOR_ALIASES[name], text) is not None
    if len(name.split()) > 1 and name.split()[0] in _PARTICLES:  # "San Salvador" is not El Salvador
        return re.search(r"\b" + r"\W+".join(map(re.escape, name.split())), fold(text), re.I) is not None
    parts = [p for p in name.split() if len(p) >= 3 and p not in _PARTICLES] or name.split()
    return any(has_word(text, part) or spelt_out(text, part) for part in parts)


_PARTICLES = frozenset("the los las del de la el san santa".split())
"""Parts of a name that name nothing alone: "la" in "la prensa grafica" is met by "Latin", "El" by any Spanish name."""


_WORLD_ASKED = re.compile(r"\b(?:worldwide|globally|global|around the world|across the world|in the world)\b", re.I)
_WORLD_STATED = re.compile(r"\b(?:worldwide|global(?:ly)?|world(?:'s|’s)?)\b", re.I)
_SUCCESSION_ASKED = re.compile(
    r"^\W*who\s+(?:replaced|succeeded|took\s+over\s+from|will\s+replace|is\s+replacing)\b"
    r"|^\W*who\s+(?:was|were|had\s+been)\b[^?]*\b(?:before|after)\s+(?!(?:the|a|an|\d)\b)[a-z]{3,}\W*$",
    re.I,
)
"""A question for who took over a post, or held it before or after someone ("who was security minister before
villatoro"); not "before 2019" or "before the vote"."""
_SUCCESSION_STATED = re.compile(
    r"\b(?:replac\w*|succe(?:ed|eded|eds|eding|ssor)\b|took\s+over|taking\s+over|appointed|sworn\s+in|installed"
    r"|predecessor|preceded|previous|former)",
    re.I,
)
_ROLE_MODIFIER = re.compile(r"\b(deputy|vice|assistant|acting|interim|associate)[\s-]+[a-z]", re.I)
_AGE_RANGE = re.compile(
    r"\b(\d{1,2})\s*(?:-|–|to)\s*(\d{1,2})(?=[\s-]*(?:yrs?|years?)[\s-]*olds?\b)"
    r"|\b(?:aged|ages)\s+(\d{1,2})\s*(?:-|–|to)\s*(\d{1,2})\b",
    re.I,
)


_NUMBER_WORDS = "one two three four five six seven eight nine ten eleven twelve".split()
_UNITS = {"hr": "hour", "hrs": "hour", "yr": "year", "yrs": "year", "wk": "week", "wks": "week"}
_WINDOW = re.compile(
    r"\bfirst\s+(?:(\d{1,3}|"
    + "|".join(_NUMBER_WORDS)
    + r"|few)\s+)?(hours?|hrs?|days?|weeks?|wks?|months?|years?|yrs?)\b",
    re.I,
)


def _windows(text: str) -> set[tuple[str, str]]:
    """Return the opening windows a text names ("the first 24 hrs": ("24", "hour"); "the first month": ("1", ...))."""
    out = set()
    for m in _WINDOW.finditer(text):
        count = (m.group(1) or "1").lower()
        count = str(_NUMBER_WORDS.index(count) + 1) if count in _NUMBER_WORDS else count
        unit = m.group(2).lower()
        out.add((count, _UNITS.get(unit, unit.rstrip("s"))))
    return out


def _one_for_first(text: str) -> str:
    """Return "first year" for each "one year after" / "one year on" of a text: the same opening window."""
    return " ".join(
        f"first {m.group(1)}" for m in re.finditer(r"\bone\s+(year|month|week|day)\s+(?:after|on|into)\b", text)
    )


class _Narrowing(NamedTuple):
    """How a question narrows what it asks (``_narrowing``)."""

    world: bool
    """To the whole world ("how many adults worldwide ...")."""
    modifiers: tuple[str, ...]
    """To a deputy or acting holder of a role: its modifiers."""
    ages: tuple[tuple[str, str], ...]
    """To age bands: their bounds ("18-29 yr olds")."""
    windows: frozenset[tuple[str, str]]
    """To an opening window of time ("in the first 24 hrs")."""
    succession: bool
    """To who took over a post ("who replaced melara")."""


@functools.lru_cache(maxsize=1024)
def _narrowing(question: str) -> _Narrowing:
    """Return how a question narrows what it asks. Read once per question, not once per candidate sentence."""
    return _Narrowing(
        world=bool(_WORLD_ASKED.search(question)),
        modifiers=tuple(m.group(1) for m in _ROLE_MODIFIER.finditer(question)),
        ages=tuple((m.group(1) or m.group(3), m.group(2) or m.group(4)) for m in _AGE_RANGE.finditer(question)),
        windows=frozenset(_windows(question)),
        succession=bool(_SUCCESSION_ASKED.search(question)),
    )


def _meets_qualifiers(question: str, near: str) -> bool:
    """True unless the question narrows what it asks in a way the sentence (or the one before it) does not: the
    whole world ("how many adults worldwide ..." is not answered by El Salvador's figure), a deputy or acting holder
    of a role (not the director), who took over a post (a successor, not the one who held it), an age band ("among
    18-29 yr olds"). An opening window ("in the first 24 hrs" is not answered by "in the first two weeks" nor by "in
    eight months") is checked in ``meets``, where the passage or its source may name it: a report on the emergency's
    first year need not say so in every sentence."""
    narrowed = _narrowing(question)
    if narrowed.world and not _WORLD_STATED.search(near):
        return False
    if narrowed.succession and not _SUCCESSION_STATED.search(near):
        return False  # "who replaced melara" is not answered by a sentence that names Melara in office
    if any(not has_word(near, m) for m in narrowed.modifiers):
        return False
    return all(re.search(rf"\b{low}\b[^.]{{0,12}}\b{high}\b", near) for low, high in narrowed.ages)


_PERCENT = re.compile(r"\d\s*(?:%|percent\b|per cent\b)")


def meets(
    focus: Focus,
    sentence: str,
    before: str = "",
    question: str = "",
    passage: str = "",
    source: str = "",
    published: str = "",
    by: str = "",
) -> bool:
    """Return True when ``sentence`` can answer the question.

    The years and the specific words must be in the sentence, the one ``before`` it, or its ``passage`` (with the
    source's title, publisher and date): a sentence answers in context ("In October 2023 ... It held about 12,000").
    The question's rarer names may also be anywhere in the sentence's ``source``, by any word of the name ("Luna"
    for Osiris Luna): a report about Osiris Luna need not repeat his name in every passage, but a sentence from a
    source that never names Honduras does not answer a question about Honduras. (Names only in the passage or
    within 300-1,500 characters of the sentence were measured too: on the dev split with part f each refused one
    more near miss and lost one more answer; the source-wide rule is kept, as answers are further from target.)
    A country is the exception: a report that compares countries names Ecuador somewhere, and its sentence about
    El Salvador's score does not answer a question about Ecuador's, so a country must be named in the passage.
    """
    where = f"{before} {sentence} {passage}"
    # A sentence that names years of its own is dated by them: "88% ... said in 2023" does not answer a question
    # about 2016 because its passage mentions 2016 in passing. Only an undated sentence takes its passage's years.
    dated = where if not YEAR.search(sentence) or not YEARS_OWN else f"{before} {sentence}"
    if YEARS_OWN and not YEAR.search(sentence) and YEAR.search(before) and refers_back(sentence):
        dated = f"{before} {sentence}"  # "Those visitors brought ..." is dated by the sentence it refers back to
    # The year of a report ("Gallup's 2024 report") is met by the source's own date or title too; a year the
    # passage mentions in passing is not.
    issued = f"{before} {sentence} {published}" if YEARS_OWN else where
    if focus.days and other_day(set(focus.days), sentence):
        return False
    if focus.months and YEARS_OWN:  # "April 7, 2025" does not answer a question about May 2025
        own = months_in(sentence)
        if own and not set(focus.months) <= own | months_in(before):
            return False
        # Nor does an undated sentence whose passage and source date never name that month.
        if not own and not set(focus.months) <= months_in(f"{before} {passage} {published}") | _dated_months(published):
            return False
    if any(y not in (issued if y in focus.published else dated) for y in focus.years) or any(
        not (named_in(where, n) or (not is_country(n) and named_in(source, n))) for n in focus.names
    ):
        return False
    if any(not _attributed(a, where, source) for a in focus.actors):
        return False
    if _elsewhere(question, sentence):
        return False
    near = f"{before} {sentence}" if TERMS_IN_SENTENCE else where
    if any(not has_word(near, t) for t in focus.terms):
        return False
    if focus.said and not any(has_word(near, w) for w in focus.said):
        return False
    # Whose words: reported as the speaker's in the sentence or the one before, or the speaker's own publication
    # (``by``: its publisher and author), where every sentence is theirs ("The office said ..." in a UN release).
    if focus.speaker and not (speaks(f"{before} {sentence}", focus.speaker) or named_in(by, focus.speaker[-1])):
        return False
    # A share of "them", or a share of anyone at all ("what % of ppl polled ...": "just 8.4% accepted ...").
    of_them = ASKS_SHARE.search(question) and (
        SHARE_OF_THEM.search(sentence)
        or (bool(focus.counted) and focus.counted.split()[0] in ANYONE and _PERCENT.search(sentence))
    )
    if focus.counted and not counts(near, focus.counted) and not of_them:
        return False
    if focus.groups and not of_them and not names_group(near, focus.groups):
        return False
    windows = _narrowing(question).windows
    if windows:
        wide = f"{where} {source}"
        if not windows <= _windows(f"{wide} {_one_for_first(wide)}"):
            return False
    if not _meets_qualifiers(question, near):
        return False
    if focus.nationals and _other_people(sentence, focus.nationals):
        return False
    if focus.event and not happened(near, focus.event):
        return False
    if focus.measured and not measures(where, focus.measured):
        return False
    return _gives(focus, sentence, question)


def _gives(focus: Focus, sentence: str, question: str) -> bool:
    kind = focus.kind
    if kind == "number":
        return gives_figure(sentence, question)
    if kind == "year":
        return bool(YEAR.search(sentence) or _MONTH.search(sentence))
    asked = {w.lower() for w in _WORD.findall(question)}
    if kind == "place":  # a name after a word of place: "is in Tecoluca", "southeast of the capital, San ..."
        return bool(_NAMED_AS_PLACE.search(sentence)) or any(  # or "Latin America ... were the regions where ..."
            (m.group(1) or m.group(2)).lower() not in asked for m in _LOCATED.finditer(sentence)
        )
    if kind == "person":
        names = [w for w in _WORD.findall(sentence)[1:] if w[0].isupper() and w.lower() not in asked]
        return bool(names) or bool(_DONE_BY.search(sentence))
    if kind == "expansion":
        if focus.acronym and spelt_out(sentence, focus.acronym.lower()):  # "Human Rights Watch" for HRW
            return True
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


_DONE_BY = re.compile(
    r"\bby\s+(?:the\s+|other\s+|fellow\s+|their\s+)?(?:[a-z]+\s+)?(?:detainees|inmates|prisoners|guards|police|officers"
    r"|soldiers|troops|gang\s+members|gangs|authorities|agents|prosecutors|judges|officials|custodians)\b"
)
"""Who did it, told by a group rather than a name ("beaten or sexually abused by other detainees")."""
_NAMED_AS_PLACE = re.compile(
    r"\b[A-Z][a-zà-ÿ]+(?:\s+(?:and\s+the\s+)?[A-Z][a-zà-ÿ-]+)*\b[^.;]{0,80}?\b(?:were|was|is|are)\s+(?:still\s+)?"
    r"(?:the|a|one\s+of\s+the)\s+(?:\w+\s+)?(?:regions?|countr(?:y|ies)|places?|cities|city|towns?)\b"
)
"""A sentence that names places as the answer to "which regions / countries": "X and Y were the regions where"."""


DECISIVE_MIN_COSINE = 0.2
"""A decisive place sentence (below) makes a question answerable from this cosine up, under the usual refusal floor.
An acronym spelt out needs no floor at all: "The Inter-American Commission on Human Rights released a report ..."
answers "what does iachr stand for" however little it resembles it (cosine 0.19)."""
_SITED = re.compile(
    r"\b(?:is|are|was|were|lies|sits|stands|located|based|built)\s+(?:\w+\s+)?(?:in|at|near|outside)\s+(?:the\s+)?"
    r"(?:(?:town|city|municipality|department|province|region)\s+of\s+)?[A-Z][a-zà-ÿ]{2,}"
)
_PLACE_WORDS = frozenset("town city country department region place state located where".split())


_ROLE_ASKED = re.compile(
    r"^\W*who(?:['’]s|\s+is|\s+was|\s+are|\s+were)\s+(?:the\s+|an?\s+)?((?:[a-z-]+\s+){0,2}?[a-z-]{3,})"
    r"\s+(?:of|at|for|in|on)\s+(?:the\s+)?([^?]+?)\W*$"
    r"|^\W*who(?:['’]s|\s+is|\s+was|\s+are|\s+were)\s+(?:the\s+)?([\w&-]+)['’]s?\s+((?:[a-z-]+\s+){0,2}[a-z-]{3,})"
    r"\W*$",
    re.I,
)
"""A question for whoever holds a role ("who's the director of socorro juridico", "who is iudop's director"): the
role's words and whose role it is."""
_WHO_WROTE = re.compile(r"^\W*who\s+(?:wrote|authored|writes|is\s+the\s+author\s+of|are\s+the\s+authors\s+of)\b", re.I)
_AUTHOR_NAMED = re.compile(
    r"\b(?:(?:written|authored)\s+by|by|authors?,?)\s+[A-Z][\w'’-]+\s+[A-Z][\w'’-]+"
    r"|\b[A-Z][\w'’-]+\s+[A-Z][\w'’-]+(?:\s+and\s+[A-Z][\w'’-]+\s+[A-Z][\w'’-]+)?\s+(?:wrote|writes|authored)\b"
)
"""A sentence that names who wrote something ("a report by Eddie Galdamez", "Manuel Meléndez-Sánchez and Alberto
Vergara wrote"), which answers "who wrote ..." by its form."""
_DEFINITION_ASKED = re.compile(
    r"^\W*what(?:['’]s|\s+is|\s+are|\s+was|\s+were)\s+(?:the\s+)?([\w&'’-]+(?:\s+[\w&'’-]+){0,3})\W*$", re.I
)
"""A question for what a thing is ("what is lpg datos"): its name, to be met by "LPG Datos, the research unit"."""


def expanded_before(text: str, acronym: str) -> re.Match[str] | None:
    """Return where the text spells an acronym out just before it in brackets ("the Centre for the Confinement of
    Terrorism (CECOT)"), or None."""
    return re.search(rf"[A-Z][\w’'-]+(?:\s+[\w’'-]+){{1,8}}\s*\(\s*{re.escape(acronym)}\s*\)", text)


def decisive(focus: Focus, sentence: str, before: str, question: str) -> bool:
    """Return True when the sentence answers by its form alone: an acronym spelled out beside it, a place named
    for the very thing the question asks about ("This prison is in Tecoluca" after a sentence naming CECOT), the
    holder of the role asked about ("Its director, Ingrid Escobar") or what the thing asked about is ("LPG Datos, the
    research unit of ...")."""
    if focus.kind == "expansion" and focus.acronym:
        acr = re.escape(focus.acronym)
        return bool(
            expanded_before(sentence, focus.acronym)
            or re.search(rf"\b{acr}\s*\(\s*[A-Z]", sentence)
            or re.search(rf"\b{acr}\b[^.]{{0,20}}\b(?:stands?|short) for\b", sentence)
            or spelt_out(sentence, focus.acronym.lower())
        )
    if focus.kind == "person" and _WHO_WROTE.search(question):
        return bool(_AUTHOR_NAMED.search(sentence))
    if focus.kind == "person" and (role := _ROLE_ASKED.search(question)):
        head = re.escape((role.group(1) or role.group(4)).split()[-1])
        owner = [w for w in re.findall(r"[\w-]+", role.group(2) or role.group(3)) if w.lower() not in GENERIC]
        held = re.search(
            rf"(?i:\b{head})\W{{1,3}}(?:[A-Z][\w'’-]+\s+){{0,2}}[A-Z][\w'’-]{{2,}}", sentence
        ) or re.search(
            rf"\b[A-Z][\w'’-]{{2,}},\s+(?:the\s+|its\s+|their\s+|a\s+)?(?:[\w'’-]+\s+){{0,3}}(?i:{head})\b", sentence
        )
        # Whose role: its head word named in the sentence or the one before ("Socorro Jurídico ... Its director, Y").
        near = f"{before} {sentence}"
        return bool(held) and all(has_word(near, w) or spelt_out(near, w) for w in owner[-1:])
    if focus.kind == "other" and (thing := _DEFINITION_ASKED.search(question)):
        name = r"\W+".join(re.escape(w) for w in thing.group(1).split())
        return bool(
            re.search(rf"\b{name},\s+(?:the|a|an)\s+\w+", fold(sentence), re.I)
            or re.search(rf"\b{name}\s+(?:is|was|are|were)\s+(?:a|an|the)\s+\w+", fold(sentence), re.I)
        )
    if focus.kind == "place" and _SITED.search(sentence):
        words = [w.lower() for w in _WORD.findall(question)]
        subject = [w for w in words if w not in GENERIC and w not in _PLACE_WORDS and len(w) >= 4]
        return bool(subject) and all(has_word(f"{before} {sentence}", w) for w in subject)
    return False


def refers_back(sentence: str) -> bool:
    """Return True when a sentence leans on the one before it ("Such deaths ...", "This figure ...")."""
    return bool(_REFERS_BACK.search(sentence))
