"""What counts as a figure for a question: not a year, a day of the month or a number inside a name, nor a number
the question gives itself; a share for "what share", a sum of money for "how much did they pay", a time for "how
long". Plain English patterns, used by ``bot.focus``."""

from __future__ import annotations

import re

from bot.qualifiers import has_word

NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundreds?|"
    r"thousands?|millions?|billions?|dozens?|half|third|quarter|doubled?|tripled?"
)
MONTH_NAME = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|"
    r"nov(?:ember)?|dec(?:ember)?)"
)
YEAR = re.compile(r"\b(?:19|20)\d\d\b")
HAS_NUMBER = re.compile(rf"\d|\b({NUMBER_WORDS})\b", re.I)
SHARE_OF_THEM = re.compile(r"\b(?:half|\d+(?:\.\d+)?\s*(?:%|percent|per cent)) (?:of|among) (?:them|those)\b", re.I)
"""A share of "them" counts the group the sentence before named ("Half of them had no record")."""
ASKS_SHARE = re.compile(
    r"\b(what|which) (share|percentage|percent|proportion|fraction)\b|\bwhat\s+%|\bhow many percent\b", re.I
)
_SHARE = re.compile(
    r"%|\bper ?cent\b|\bpercentage\b|\b(half|third|quarter|fifth|tenth|majority|minority)\b"
    rf"|\b(?:\d+|{NUMBER_WORDS}|one)\s+(in|of|out of) (every )?(\d+|{NUMBER_WORDS})\b",
    re.I,
)
_ASKS_MONEY = re.compile(
    r"\bhow much (money|\w+ )?(did|does|do|was|is|were|will|would)?\b.*\b(pay|paid|cost|spend|spent|charge|earn|"
    r"receive|fund|budget|worth|give|gave|owe|invest)|\bwhat (was|is|were|are)? ?(the )?(cost|price|fee|budget|"
    r"salary|fine)\b|\bhow much (?:[\w-]+ )?(money|funding|cash)\b",
    re.I,
)
_COST_TO = re.compile(
    r"\b(?:cost|costs|costing|pay|paid|spend|spent|spending)\b(?:\s+[\w'’]+){0,4}?\s+to\s+"
    r"(?!(?:the|a|an|be|date|its|their|his|her|them|him|us|you|me)\b)([a-z]{3,})\b",
    re.I,
)
_PAID_TO = re.compile(
    r"(?:[$€£]\s?\d[\d.,]*(?:\s+(?:million|billion|thousand))?|\b(?:cost|costs|paid|pay|spent|spend)\b)"
    r"(?:\s+[\w'’$.,]+){0,5}?\s+to\s+(?!(?:the|a|an|be|date)\b)[a-z]{3,}\b",
    re.I,
)
"""What a sum was for ("how much did it cost to build cecot", "what does it cost per year to run it"): a sentence
that says its sum was for something else ("$6 million to house the deportees") is no answer; one that says not
what its sum was for ("It would cost the US $6 million a year") may be."""
_BASE_PAST = dict(
    pair.split(":")
    for pair in """build:built run:ran buy:bought make:made keep:kept hold:held feed:fed pay:paid send:sent
    bring:brought fight:fought sell:sold spend:spent lend:lent lead:led""".split()
)


def _does(text: str, verb: str) -> bool:
    """True when the text holds the verb in a form of its own ("build" in "building", "built")."""
    return has_word(text, verb) or (verb in _BASE_PAST and has_word(text, _BASE_PAST[verb]))


_MONEY = re.compile(r"[$€£]|\b(dollars?|usd|euros?|pounds?|colones|bitcoins?|cents?)\b", re.I)


ASKS_SENTENCE = (
    r"\bwhat(?:['’]?s|\s+(?:is|was|are|were))?\s+(?:the\s+)?(?:average\s+|typical\s+|usual\s+|longest\s+|shortest\s+)?"
    r"(?:prison |jail )?sentences?\b(?!\s+(?:of|in)\s+the\s+(?:report|article|source))"
)
"""A question for a sentence ("what prison sentence did X get", "what's the average sentence for ..."): a length of
time, so a figure (bot.focus)."""
_ASKS_DURATION = re.compile(rf"\bhow long\b|{ASKS_SENTENCE}", re.I)
_DURATION = re.compile(
    r"\b(hours?|days?|weeks?|months?|years?|decades?|minutes?)\b|-(hour|day|week|month|year)\b", re.I
)
""""How long" asks for a time: "two years", "a 30-day emergency", "14 hours and 28 minutes"; a date is no answer."""
_NOT_FIGURES = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:and\s+\d{{1,2}}\s+)?{MONTH_NAME}\b|\b{MONTH_NAME}\.?\s+\d{{1,2}}\b|"
    r"\b[A-Za-z]+-\d+\b",
    re.I,
)
"""A day of the month ("5 December", "April 7") and a number that is part of a name ("COVID-19", "MS-13") count
nothing: they do not answer "how many"."""


_ASKS_COUNT = re.compile(r"\bhow many\b", re.I)
_SPAN_OF_TIME = re.compile(
    rf"\b(?:\d[\d,.]*|{NUMBER_WORDS}|a|one)[- ](?:hours?|days?|weeks?|months?|years?|decades?)(?:-long|-old)?\b", re.I
)
"""A span of time ("the first six months", "a 30-day emergency") is no count of people or things."""


def gives_figure(sentence: str, question: str) -> bool:
    """True when the sentence holds a figure other than a year or a number the question gives itself: a share
    for "what share", a sum of money for "how much did they pay"."""
    own = {m.group(0) for m in re.finditer(r"\d[\d,.]*", question)}
    text = _NOT_FIGURES.sub(" ", YEAR.sub(" ", sentence))
    text = re.sub(r"\d[\d,.]*", lambda m: " " if m.group(0).rstrip(".,") in own else m.group(0), text)
    if _ASKS_DURATION.search(question):  # "a month-long emergency" answers without a figure
        return bool(_DURATION.search(text)) and bool(
            HAS_NUMBER.search(text) or re.search(r"-long\b|\ba (day|week|month|year)\b", text)
        )
    if _ASKS_COUNT.search(question) and not _DURATION.search(question):  # "six months" counts no people
        text = _SPAN_OF_TIME.sub(" ", text)
    if not HAS_NUMBER.search(text):
        return False
    if ASKS_SHARE.search(question) and not _SHARE.search(text):
        return False
    if _ASKS_MONEY.search(question) and not _MONEY.search(text):
        return False
    asked_for, paid_for = _COST_TO.search(question), _PAID_TO.search(sentence)
    if asked_for and paid_for and not _does(paid_for.group(0), asked_for.group(1).lower()):
        return False  # "cost to build" is not answered by "$6 million to house the deportees"
    if _ASKS_AGE.search(question) and not _AGE.search(text):  # an age, not any figure
        return False
    if _ASKS_VOTE.search(question) and not _TALLY.search(sentence):  # a vote is a tally, not a date
        return False
    # "per day" is not answered by a figure "a year": a sentence whose figure has another unit of time.
    asked, given = _units(question), _units(sentence)
    return not (asked and given and not asked & given)


_ASKS_VOTE = re.compile(
    r"\bwhat(?:['’]s|\s+(?:was|were|is))\s+the\s+(?:\w+\s+)?(?:vote|tally|split)\b(?!\s+share)"
    r"|\bby what (?:vote|margin)\b",
    re.I,
)
_TALLY = re.compile(
    rf"\b\d+\s*(?:-|–|to)\s*\d+\b|\b(?:{NUMBER_WORDS}|one|two)\s+(?:votes\s+)?(?:to|-)\s+(?:{NUMBER_WORDS}|one|two|none)\b"
    r"|\b\d[\d,]*\s+(?:votes?|in favou?r|against|abstain)|\bunanimous|\bmajority\b",
    re.I,
)
_ASKS_AGE = re.compile(r"\bhow old\b|\bwhat age\b|\b(?:average|median|mean|typical)\s+age\b", re.I)
_AGE = re.compile(r"\byears?[- ]old\b|\baged?\b|\bages\b|\bold\b", re.I)
_PER_UNIT = re.compile(
    r"\b(?:per|a|an|each|every)\s+(day|week|month|year)\b(?!\s+(?:ago|later|earlier|before|after|in\b))"
    r"|\b(daily|weekly|monthly|yearly|annual|annually|a\s+night|nightly)\b",
    re.I,
)
_UNIT_OF = {"daily": "day", "nightly": "day", "weekly": "week", "monthly": "month", "yearly": "year", "annual": "year"}


def _units(text: str) -> set[str]:
    """Return the units of time a text gives rates by ("per day", "a year", "annually" -> day, year)."""
    out = set()
    for m in _PER_UNIT.finditer(text):
        word = (m.group(1) or m.group(2)).lower()
        word = "year" if word == "annually" else "day" if word.endswith("night") else word
        out.add(_UNIT_OF.get(word, word))
    return out


_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?(?:\s*(?:and|to|-|–)\s*(\d{{1,2}})(?:st|nd|rd|th)?)?\s+(?:of\s+)?{MONTH_NAME}\b"
    rf"|\b{MONTH_NAME}\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:\s*(?:and|to|-|–)\s*(\d{{1,2}}))?\b(?![\d,]*\d{{3}})",
    re.I,
)


def days_named(text: str) -> set[tuple[int, str]]:
    """Return the days of the month a text names, as (day, "mar"): "26 March", "March 24 and 27", "1 and 2 May"."""
    out: set[tuple[int, str]] = set()
    for m in _DAY_MONTH.finditer(text):
        month = (m.group(3) or m.group(4))[:3].lower()
        for day in (m.group(1), m.group(2), m.group(5), m.group(6)):
            if day:
                out.add((int(day), month))
    return out


def other_day(asked: set[tuple[int, str]], sentence: str) -> bool:
    """True when the sentence dates its figure by other days of the asked month ("between March 24 and 27" for a
    question about 26 March): its count is not that day's."""
    named = days_named(sentence)
    return any((day, month) not in named and any(m == month for _, m in named) for day, month in asked)
