"""What a question's qualifiers require of an answering sentence: what a "how many" question counts, what happened
to it, what a rate measures, and the words no source uses at all. Plain English patterns, no topic words; used by
``bot.focus``."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

from bot.text import fold

GENERIC = frozenset(
    """hold held have has had get got gotten make made take took give gave say said tell told do does did go went
    come came happen happened use used keep kept put show shown mean means call called know known think thought
    become became
    many much number year years date time times total figure amount rate percentage percent share fraction
    proportion cost couldn wouldn shouldn didn doesn wasn weren isn aren hasn haven hadn
    what which who whom when where why how does did is are was were the a an of in on at to for from by with""".split()
)


_AUXILIARY = (
    r"did|do|does|were|was|have|has|had|are|is|can|could|will|would|should|might|may|died|die|got|get|in|on|at|"
    r"from|under|by|during|since|since|between|of|for|to|per|a|each|every|there"
)
_COUNTED = re.compile(
    rf"\bhow many\s+((?:[a-z][\w'-]*\s+){{0,2}}?[a-z][\w'-]*?)(?=\s+(?:{_AUXILIARY})\b|\s*[?.]?$)"
    r"|\bwhat (?:was|is|were|are) the (?:average|median|total|mean) ([a-z][\w'-]*)"
    r"|\b(?:what|which) (?:share|percentage|percent|proportion|fraction|%) of (?:the |all )?([a-z][\w'-]*(?: (?!"
    rf"(?:{_AUXILIARY})\b)[a-z][\w'-]*)?)",
    re.I,
)


_PREPOSITIONS = frozenset("about against over on with among into through concerning regarding".split())
"""Words that end what a "how many" question counts: "complaints about abuses" counts complaints."""
_CONTAINERS = frozenset("cases instances incidents episodes acts".split())
"""Words that count occurrences of what comes before them ("violence cases")."""
_PEOPLE = frozenset(
    """people persons individuals men women adults detainees prisoners inmates migrants deportees residents citizens
    civilians suspects members victims""".split()
)
"""Words for counted people: "8,000 people ... released" answers "how many detainees were released"."""


ANYONE = frozenset("people persons individuals respondents".split())
"""Counted words that ask for no group in particular: "64.2% of Salvadorans" counts people, and a poll's share
answers "what % of people polled ..." without naming them."""
_DEMONYMS = re.compile(r"\b[A-Z][a-z]{3,}ans\b")
"""A people named for a place, in the plural ("Salvadorans", "Venezuelans", "Americans"; not "Plans")."""


_ARRESTS = re.compile(r"\d[\d,.]*(?:\s+(?:million|thousand))?\s+(?:arrests|detentions|captures)\b", re.I)


_DEATHS = frozenset("deaths died dead killed killings homicides murders murdered victims lives".split())
"""Words for counted deaths: "62 people were killed" answers "how many deaths ..."."""


_CONFINED = frozenset(
    "incarceration incarcerated imprisonment imprisoned prison prisons prisoners jail jailed inmates".split()
)
"""Words for being locked up: "a prison population rate of 531" answers "what is the incarceration rate"."""


def _count_root(word: str) -> str:
    """Return the part of a counted word its other forms share: four letters of a short word ("killings" ->
    "kill", met by "killed"), six of a long one ("interviews" -> "interv", not met by "International"), and the
    singular of a kind of person ("officers" -> "officer", "journalists" -> "journalist")."""
    letters = re.match(r"[^\W\d_]+", word)  # "under-18s" is counted by "under the age of 18"
    word = letters.group(0) if letters else word
    if re.search(r"(?:er|or|ist|ian)s$", word, re.I):  # a kind of person: "officers" is not met by "official"
        return word[:-1]
    return word[:6] if len(word) >= 9 else word[:4]


_SUBGROUPS = (
    frozenset("women woman female females mothers wives".split()),
    frozenset("men man male males fathers husbands".split()),
    frozenset("girls girl".split()),
    frozenset("boys boy".split()),
    frozenset("children child minors minor kids adolescents teenagers teens juveniles under-18s".split()),
    frozenset("foreigners foreign nationals".split()),
    frozenset("elderly older pensioners".split()),
)
"""Words that count a part of the people: "20,000 gang members" or "190 individuals" do not say how many women. Each
is met only by a word of its own group (a count of "minors" answers "how many children"). Girls and boys are groups of
their own: a count of women, or of children, does not say how many girls."""


def groups_asked(question: str) -> tuple[frozenset[str], ...]:
    """Return the parts of the people a question names ("what % of those detained are women", "how many of the dead
    were children", "do women feel less safe than men"): what is said of everyone is not said of them
    (``names_group``). Read in every kind of question since 2026-12-04 (before: figure questions only; eval a-m: one
    more near miss refused, no answer lost)."""
    return tuple(
        g for g in _SUBGROUPS if any(re.search(rf"\b{re.escape(w)}\b", question, re.I) for w in g - _ADJECTIVES)
    )


def names_group(text: str, groups: Sequence[frozenset[str]]) -> bool:
    """True when the text names a word of one of these parts of the people ("under the age of 18" for children)."""
    if any(re.search(rf"\b{re.escape(w)}\b", text, re.I) for g in groups for w in g):
        return True
    return any("children" in g for g in groups) and _UNDER_AGE.search(text) is not None


_ADJECTIVES = frozenset("foreign older minor male female man".split())
"""Words of the groups that more often qualify something else ("Foreign Policy", "a minor offence"): they do not make
a question ask about that part of the people."""
_UNDER_AGE = re.compile(r"\b(?:under|below|younger than)\s+(?:the\s+age\s+of\s+)?1[0-8]\b", re.I)


def counts(text: str, counted: str) -> bool:
    """True when the text counts what the question counts: the word in any form ("killings", "killed"), or a word
    of the same kind for people or deaths. A part of the people ("women", "children") is met only by its own words."""
    for word in counted.split():
        if re.search(rf"\b{re.escape(fold(_count_root(word)))}", fold(text), re.I):
            return True
        group = next((g for g in _SUBGROUPS if word.lower() in g), None)
        if group is not None:  # its own words only: not any word for people
            if any(re.search(rf"\b{re.escape(w)}\b", text, re.I) for w in group):
                return True
            continue
        if word in _PEOPLE:  # people are counted by words for people, not by "prisons" or "jail"
            if any(_names_people(text, w) for w in _PEOPLE) or (word in ANYONE and _DEMONYMS.search(text)):
                return True
            if _ARRESTS.search(text):  # "more than 8,500 arrests": a count of the people arrested
                return True
            if word not in _DEATHS:
                continue
        if any(word in kind and any(has_word(text, w) for w in kind) for kind in (_DEATHS, _CONFINED)):
            return True
        if word not in _PEOPLE and any(similar_words(word, w) for w in counted_words(text)):
            return True  # "600 soldiers" counts troops, "2.2 million visitors" tourists
    return False


_DEATH_MEASURES = frozenset("death deaths killing killings killed homicide homicides murder murders".split())
"""Words that measure deaths ("the murder rate", "homicides"): not "victims" or "lives", which name people."""


def measures(text: str, measured: str) -> bool:
    """True when the text measures what the question measures ("murder rate" -> a passage about homicides): the word
    in any form or, for a measure of deaths, any word that measures deaths (``_DEATH_MEASURES``)."""
    if measured.lower() in _DEATH_MEASURES and any(has_word(text, w) for w in _DEATH_MEASURES):
        return True
    return counts(text, measured)


SYNONYM_MIN = 0.75
"""Two words name the same thing when the embedding model, reading each alone, puts them at least this close
("troops" / "soldiers" 0.89, "tourists" / "visitors" 0.79, "journalists" / "reporters" 0.87; not "troops" /
"officers" 0.50, "troops" / "members" 0.46, "women" / "people" 0.53). A round value between those, not fitted."""
_FIGURE_THEN = re.compile(
    r"(?:\d[\d,.]*|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundreds|thousands|millions|dozens))(?:\s+(?:million|thousand|hundred|billion))?"
    r"((?:\s+[a-z][a-z-]*){1,3})",
    re.I,
)


def counted_words(text: str) -> list[str]:
    """Return the words just after the text's figures ("600 soldiers of the armed forces" -> soldiers), what its
    figures count."""
    out = []
    for m in _FIGURE_THEN.finditer(text):
        out += [w.lower() for w in m.group(1).split() if len(w) >= 4 and w.lower() not in GENERIC]
    return list(dict.fromkeys(out))


@functools.lru_cache(maxsize=8192)
def similar_words(a: str, b: str) -> bool:
    """True when two different words name the same thing to the embedding model (``SYNONYM_MIN``)."""
    if a == b:
        return True
    from bot.embeddings import embed_query

    return float(embed_query(a) @ embed_query(b)) >= SYNONYM_MIN


def _names_people(text: str, word: str) -> bool:
    """True when the text holds a word for people in its own form ("prisoner", "prisoners"), not a word sharing its
    first letters ("prisons" is no count of prisoners)."""
    root = word[:-1] if word.endswith("s") else word
    return re.search(rf"\b{re.escape(root)}", fold(text), re.I) is not None


_EVENT = re.compile(
    r"\bhow many\b(?:\s+[\w'-]+){0,4}?\s+(?:were|was|are|is|have been|has been|had been|have|has|had|got|get|"
    r"being)\s+(?:\w+ly\s+)?([a-z]+(?:ed|en|wn|ght|lt|ld|id))\b"
    r"|\bhow many\b(?:\s+[\w'-]+){1,4}?\s+(died|killed|murdered)\b"  # "how many under-18s died": deaths only
    r"|\bhow many\b(?:\s+[\w'-]+){1,3}?\s+did\s+(?:the\s+)?[\w'’.-]+(?:\s+[\w'’.-]+)?\s+"
    r"(interview|survey|poll|visit|inspect|arrest|detain|release|free|deport|convict|charge|prosecute|kill|hire"
    r"|train|close|open|seize|rescue|transfer|expel|pardon)\b"  # "how many ppl did the iachr interview"
    r"|\bhow many times\b(?:\s+[\w'’-]+){1,6}?\s+(?:been\s+)?([a-z]+(?:ed|en|wn|ght|lt|ld|id))\b",  # a frequency
    re.I,
)
_KINDS_OF_EVENT = (
    _DEATHS,
    frozenset("arrested detained jailed imprisoned captured held locked incarcerated".split()),
    frozenset("freed released".split()),
    frozenset("deported sent transferred expelled removed flown flew".split()),
    frozenset("extended renewed prolonged".split()),
)
"""Words for the same event: "83,000 people had been detained" answers "how many were arrested"."""


def event_verb(question: str) -> str:
    """Return the participle a "how many ... were/have been <verb>" question asks about, or ""."""
    m = _EVENT.search(question)
    verb = next(g for g in m.groups() if g).lower() if m else ""
    return "" if verb in GENERIC or verb in _NOT_PARTICIPLES else verb


_NOT_PARTICIPLES = frozenset("down own town brown crown gown need red hundred bed seed speed".split())
"""Words with a participle's ending that are none ("were down to disease")."""


_PAST_OF = dict(
    pair.split(":")
    for pair in """flown:flew given:gave taken:took driven:drove chosen:chose stolen:stole beaten:beat thrown:threw
    grown:grew drawn:drew written:wrote hidden:hid eaten:ate fallen:fell broken:broke spoken:spoke forgotten:forgot
    sworn:swore torn:tore bitten:bit ridden:rode risen:rose shaken:shook""".split()
)
"""Irregular participles and their past tense: "were flown" is met by "the US flew 252 Venezuelans"."""


def happened(text: str, verb: str) -> bool:
    """True when the text says the event happened: the verb in any form, or a word for the same event."""
    if _has_verb(text, verb) or (verb in _PAST_OF and has_word(text, _PAST_OF[verb])):
        return True
    base = re.sub(r"(?:ed|d)$", "", verb)
    return any(
        (verb in kind or base in kind or f"{base}ed" in kind or f"{base}d" in kind)
        and any(has_word(text, w) for w in kind)
        for kind in _KINDS_OF_EVENT
    )


def _has_verb(text: str, verb: str) -> bool:
    """The verb in any form, read by more of its letters when it is long: "interview" is not "international"."""
    root = re.sub(r"(?:ing|ed|es|e|s)$", "", verb)
    if len(root) < 7:
        return has_word(text, verb)
    return re.search(rf"\b{re.escape(fold(root[:7]))}", fold(text), re.I) is not None


_NOT_MEASURED = frozenset("official overall current latest annual monthly average median total real".split())
_MEASURED = re.compile(
    r"\b([a-z][a-z-]{3,})\s+(?:rate|share|percentage|proportion|toll|count|figures?|numbers?|budget|capacity)\b", re.I
)


def measured_noun(question: str) -> str:
    """Return what a rate or share question measures ("incarceration" in "what is the incarceration rate"), or ""
    (a "how many" question counts instead)."""
    if re.search(r"\bhow many\b", question, re.I):
        return ""
    words = (w.lower() for w in _MEASURED.findall(question))
    return next((w for w in words if w not in GENERIC and w not in _NOT_MEASURED), "")


_HOW_MANY_OF = re.compile(
    r"\bhow many\s+of\s+(?:(?:the|their|its|his|her|those|these)\s+)?(?:[\w-]+['’]s?\s+)?(?:[\d,.]+\s+)?", re.I
)


def counted_noun(question: str) -> str:
    """Return the head of what a "how many ..." / "what was the average ..." question counts, or ""."""
    of = _HOW_MANY_OF.search(question)
    if of:  # "how many of iudop's 1,270 respondents lived in ...": the respondents
        question = question[: of.start()] + "how many " + question[of.end() :]
    m = _COUNTED.search(question)
    if m:
        phrase = (m.group(1) or m.group(2) or m.group(3) or "").split()
    else:  # "how many tourists visited ...", "how many army troops guard ...": a plural after a singular is the head
        first = re.search(r"\bhow many\s+([a-z][\w'-]*)(?:\s+([a-z][\w'-]*s)\b)?", question, re.I)
        plural = first and first.group(2) and not first.group(1).lower().endswith("s")
        phrase = [first.group(2) if plural else first.group(1)] if first else []
    if m and m.group(3):  # "what share of the custody deaths": either word may be what the sentence counts
        words = phrase[:1] if phrase[0].endswith("s") else phrase  # a plural ends it: "of salvadorans trust"
        return " ".join(w.lower() for w in words if w.lower() not in GENERIC and len(w) >= 3)
    cut = next((i for i, w in enumerate(phrase) if i and w.lower() in _PREPOSITIONS), None)
    if cut is not None:  # "how many complaints about abuses": the complaints
        phrase = phrase[:cut]
    if len(phrase) > 1 and phrase[-1].lower() in _CONTAINERS and not phrase[-2].endswith(("'", "’")):
        phrase = phrase[:-1]  # "how many sexual violence cases": cases of violence
    if len(phrase) > 1 and re.search(r"[a-z]ed$", phrase[-1], re.I) and phrase[-2].lower().endswith("s"):
        phrase = phrase[:-1]  # "how many tourists visited": the tourists, not their verb
    if len(phrase) > 1 and phrase[0].lower() in _PEOPLE and not phrase[-1].lower().endswith("s"):
        phrase = phrase[:1]  # "how many people live in ...": the people, not their verb
    head = phrase[-1].lower() if phrase else ""
    return "" if head in GENERIC or len(head) < 3 else head


def has_word(text: str, word: str) -> bool:
    """True when the text holds the word or a form of it (same first five letters, or the whole word if shorter),
    accents aside."""
    root = re.escape(fold(word[:5] if len(word) > 5 else word))
    return re.search(rf"\b{root}", fold(text), re.I) is not None


_CONNECTORS = r"(?:\s+(?:of|for|the|and|on|de|del|la|los|las|y)\b)*\s+"
_LETTER_WORDS = {"o": "of|on", "f": "for", "a": "and", "t": "the", "d": "de|del"}
"""Small words that debaters' initials sometimes keep ("jod" for Journal of Democracy)."""


def _letter(ch: str, inner: bool) -> str:
    """The pattern for one letter of an acronym: a capitalised word, or, inside it, a small word with that initial."""
    word = rf"{ch.upper()}[a-zà-ÿ]+(?:-[A-Z][a-zà-ÿ]+)?"
    return rf"(?:{word}|(?:{_LETTER_WORDS[ch]})\b)" if inner and ch in _LETTER_WORDS else word


@functools.lru_cache(maxsize=4096)
def spelt_out(text: str, name: str) -> bool:
    """True when the text spells out an acronym the question uses: "Human Rights Watch" for "hrw", "Office of the
    High Commissioner for Human Rights" for "ohchr", "Inter-American Commission on Human Rights" for "iachr"
    (capitalised words, or parts of a hyphenated word, whose initials are its letters)."""
    return spelling_out(text, name) is not None


def spelling_out(text: str, name: str) -> re.Match[str] | None:
    """Return where the text spells out the acronym (see ``spelt_out``), or None. A hyphenated word gives one letter
    or one for each part ("Inter-American Development Bank" is IDB, "Inter-American Commission ..." IACHR)."""
    if not (2 <= len(name) <= 6 and name.isalpha()):
        return None
    pattern = "".join(
        _letter(ch, inner=0 < i < len(name) - 1) + ("" if i == len(name) - 1 else rf"(?:-|{_CONNECTORS})")
        for i, ch in enumerate(name)
    )
    return re.search(rf"\b{pattern}\b", text)


FOREIGN_MIN_COSINE = 0.7
"""A question holding a word no source uses in any form ("escaped", "pardon", "behaviour": no indexed word shares
its root) is answered only by a sentence at least this similar to it. On the dev split (parts a-f) 13 questions
hold such a word: 12 to refuse, whose nearest fitting sentences score at most 0.66, and one answerable question
whose answer is not retrieved. 0.7 is a round value above them, not a fitted one."""
FOREIGN_MIN_CHARS = 5
"""Shorter unknown words are abbreviations more often than not ("ppl", "govt", "jan", "acc")."""


def foreign_terms(unknown: Sequence[str], idf: dict[str, float]) -> list[str]:
    """Return the question's words that no indexed word shares the first five letters of ("escap" for "escaped"),
    leaving out abbreviations and figures ("ppl", "100k")."""
    words = [t for t in unknown if len(t) >= FOREIGN_MIN_CHARS and t.isalpha() and not _generic(t)]
    return [t for t in words if not _root_known(t, idf)]


def unseen(unknown: Sequence[str], idf: dict[str, float]) -> list[str]:
    """Return the unknown words that no indexed word shares a root with either: "negotiate" is not unseen where the
    sources say "negotiations" (abbreviations and short words stay, as no root is read from them)."""
    return [t for t in unknown if len(t) < FOREIGN_MIN_CHARS or not t.isalpha() or not _root_known(t, idf)]


def _root_known(word: str, idf: dict[str, float]) -> bool:
    key = (id(idf), len(idf))
    if _PREFIXES.get("key") != key:  # the index's idf table is one object per index version
        _PREFIXES.clear()
        _PREFIXES.update(key=key, prefixes=frozenset(_root(t) for t in idf))
    prefixes = _PREFIXES["prefixes"]
    return any(_root(f) in prefixes for f in (word, *_FORMS_OF.get(word, ())))  # type: ignore[operator]


def _root(word: str) -> str:
    """Return the first five letters of a word without a final "e" ("seize" and "seized" both give "seiz")."""
    return (word[:-1] if word.endswith("e") else word)[:FOREIGN_MIN_CHARS]


_PREFIXES: dict[str, object] = {}
_FORMS_OF = {
    past: (base, participle)
    for past, base, participle in (
        triple.split(":")
        for triple in """drove:drive:driven flew:fly:flown gave:give:given took:take:taken chose:choose:chosen
        stole:steal:stolen threw:throw:thrown grew:grow:grown drew:draw:drawn wrote:write:written broke:break:broken
        spoke:speak:spoken fell:fall:fallen began:begin:begun ran:run:run won:win:won sold:sell:sold told:tell:told
        brought:bring:brought bought:buy:bought caught:catch:caught fought:fight:fought sought:seek:sought
        paid:pay:paid spent:spend:spent sent:send:sent built:build:built lost:lose:lost left:leave:left
        meant:mean:meant held:hold:held kept:keep:kept found:find:found led:lead:led became:become:become
        rose:rise:risen froze:freeze:frozen shook:shake:shaken""".split()
    )
}
"""Irregular past tenses and the forms the sources may use instead: "drove" is known when they say "driven"."""


def _generic(term: str) -> bool:
    """True for a stemmed form of a question's frame words ("total", "happen"): unknown to a small index, they say
    nothing about what the question is about."""
    return any(g.startswith(term) and len(g) - len(term) <= 3 for g in GENERIC)


_SHORTHAND = {
    "ppl": "people",
    "govt": "government",
    "gov't": "government",
    "acc to": "according to",
    "acc. to": "according to",
    "yr": "year",
    "yrs": "years",
    "pct": "percent",
    "avg": "average",
    "approx": "approximately",
    "b/c": "because",
    "bc": "because",
    "w/": "with",
    "w/o": "without",
    "intl": "international",
    "dept": "department",
    "admin": "administration",
    "pres": "president",
    "num": "number",
    "thru": "through",
    "abt": "about",
    "kids": "children",
    "kid": "child",
    "cops": "police",
    "scotus": "the Supreme Court",
    "doj": "the Justice Department",
    "dhs": "Homeland Security",
    "potus": "the president",
    "what %": "what percentage",
    **{
        f"{verb}nt": f"{verb} not"  # contractions typed without the apostrophe: "didnt" is "did not"
        for verb in "did does do is was were has have had are could should would".split()
    },
    "dont": "do not",
    "cant": "cannot",
    "wont": "will not",
}
_SHORTHAND_RE = re.compile(
    r"(?<![\w/])(" + "|".join(re.escape(k) for k in sorted(_SHORTHAND, key=len, reverse=True)) + r")(?![\w/])"
)
"""Lower case only: "BC" or "PRES" in capitals is more likely a name than shorthand."""
_THOUSANDS = re.compile(r"\b(\d+)k\b", re.I)


def expand_shorthand(question: str) -> str:
    """Return the question with the shorthand debaters type spelt out ("ppl" -> "people", "acc to" -> "according
    to", "100k" -> "100,000", "kids" -> "children"), so that retrieval, the embedding and the focus rules read the
    words the sources use. Months ("jan-aug") are left: the focus rules read them as they are. A missing question
    mark is put back."""
    text = _SHORTHAND_RE.sub(lambda m: _SHORTHAND[m.group(1)], question)
    text = _THOUSANDS.sub(lambda m: f"{int(m.group(1)):,}" + ",000", text).rstrip()
    # A question typed without its question mark embeds further from the sentences that answer it (dev: 68 of 82
    # answered right in lower case without "?", 74 with it put back).
    return text if text.endswith(("?", ".", "!")) else f"{text}?"


_ATTRIBUTED = re.compile(
    r"\b(?:according to|acc\.? to|per|said by|in the view of)\s+((?:the\s+)?[a-z][\w'’.-]*(?:\s+(?!(?:in|on|for|"
    r"since|by|during|from|at|about|over|after|before|between|and|or|to|of the|that|who|which|what|whats|what['’]s"
    r"|how|why|when|where|is|are|was|were|did|does|do|has|have|had|will|would|can|could|now|happen\w*)\b)"
    r"[a-z][\w'’.-]*){0,3})",
    re.I,
)
_ASKED_OF = re.compile(
    r"^\W*(?:how (?:many|much)\b[^?]*?\b(did|does|do|has|have|had)|(?:what|which|who|whom|why|when|where|how)\b"
    r"[^?]*?\b(?:did|does|do))\s+(?:the\s+)?([a-z][\w'’.-]*)",
    re.I,
)
_NOT_ACTORS = frozenset(
    """capita cent day days year years month months week weeks person head inhabitants resident residents people
    population it they he she we you i this that those these there report reports essay article study poll survey
    paper data figures review brief statement analysis story piece book forensic latest official been being got el most
    la probe investigation inquiry not never""".split()
)
"""Words after "per" / "according to" that are no actor ("per capita", "per day") or that name a document rather
than who wrote it ("the journal of democracy essay"): only the other words must be met."""
_INSTITUTIONS = frozenset(
    """department office ministry group court police government commission house watch bank party union council
    assembly army agency institute university service services committee board tribunal""".split()
)
"""Second words of an actor ("the state department", "the white house"), whatever the sources capitalise."""
ACTOR_ALIASES = {
    "us": r"\bU\.?S\.?(?:A\.?)?\b|\bUnited States\b|(?<![-\w])(?<!Latin )(?<!Central )(?<!South )(?<!North )"
    r"American|\bWashington\b|\bTrump administration\b",
    "un": r"\bU\.?N\.?\b|\bUnited Nations\b",
    "uk": r"\bU\.?K\.?\b|\bBritish\b|\bBritain\b|\bUnited Kingdom\b",
    "eu": r"\bE\.?U\.?\b|\bEuropean Union\b",
    "doj": r"\bDOJ\b|\bJustice Department\b|\bDepartment of Justice\b",
    "ag": r"\bA\.?G\.?\b|\b[Aa]ttorney[ -][Gg]eneral",
    "dhs": r"\bDHS\b|\bHomeland Security\b",
    "ice": r"\bICE\b|\bImmigration and Customs Enforcement\b",
    "imf": r"\bIMF\b|\bInternational Monetary Fund\b",
}
"""How sources name the actors debaters abbreviate in lower case ("the us", "the un")."""


def actors(question: str, names: frozenset[str], stem: Callable[[str], str]) -> tuple[tuple[str, ...], ...]:
    """Return who a question attributes its answer to: "according to X", "per X", "how many ... did X count".

    Each actor is its words without "the" and document words ("amnesty", "state department"); a sentence answers
    only from a passage or source that names them (``named_actor``). After "did", only the next word (and a
    following name or institution word) is taken: "did the state department count" -> state department.
    """
    found: list[tuple[str, ...]] = []
    for m in _ATTRIBUTED.finditer(question):
        words = [w.strip(".'’").lower() for w in m.group(1).split()]
        words = [_POSSESSIVE_S.sub("", w) for w in words if w != "the"]
        if words and not words[0][0].isdigit() and words[0] not in _NOT_ACTORS:
            found.append(tuple(w for w in words if w not in _NOT_ACTORS and w not in GENERIC))
    asked = _ASKED_OF.search(question)
    if asked:
        rest = question[asked.end() :].split()
        second = rest[0].lower() if rest else ""
        joined = stem(second) in names or second in _INSTITUTIONS
        words = [asked.group(2).lower()] + ([second] if joined else [])
        words = [_POSSESSIVE_S.sub("", w) for w in words if w not in ("el", "la")]
        # Only who reports or counts is an actor ("did amnesty count", "did the un say"); the subject of any other
        # verb is what the question is about ("why did killings go up", "what did carolina get").
        # "how many ... did X count": the figure is X's; "how many ... had X" only with a participle after X ("had
        # Cristosal confirmed"), not in "how many of the men had convictions".
        after = rest[1 if joined else 0 :][:2]
        owned = asked.group(1) is None or asked.group(1).lower() not in ("has", "have", "had")
        counting = asked.group(1) is not None and (owned or any(PARTICIPLE.fullmatch(w.lower()) for w in after))
        reports = counting or any(_REPORTING.fullmatch(w.lower()) for w in rest[1 if joined else 0 :][:5])
        if words and words[0] not in _NOT_ACTORS and words[0] not in GENERIC and reports:
            found.append(tuple(words))
    return tuple(dict.fromkeys(a for a in found if a))


_POSSESSIVE_S = re.compile(r"['’]s?$")
PARTICIPLE = re.compile(
    r"[a-z]+(?:ed|en|wn|ght|lt|id)|lost|found|seen|made|held|kept|sent|left|paid|told|said|won|spent|run|put|set|cut"
    r"|shot|led|met|read|sold|hit"
)
_REPORTING = re.compile(
    r"(?:say|said|count|report|record|document|estimat|find|found|regist|tall[yi]|list|cite|give|gave|put|call"
    r"|describ|claim|conclud|note|warn|write|wrote|think|thought|believe|argue|tell|told|state|announce|confirm"
    r"|class|classif[yi]|consider|attribute|blame|identif[yi]|verif[yi]|label|deem|rate|rank|measure|survey|poll"
    r"|interview|reveal|show|publish|detail|mention|quote|calculate|compile|log|track|name|mean|expect|predict"
    r"|project|forecast|insist|admit|accept|acknowledge|den[yi]|reject|dispute|see|saw|view|rule|order|decide"
    r"|declare|make|made)(?:e|s|d|ed|es|ing)?",
    re.I,
)
"""The verbs after "did X" that make X the one a figure or view is attributed to (by their first letters)."""


def named_actor(text: str, actor: Sequence[str]) -> bool:
    """True when the text names every word of the actor, in any form, spelt out ("hrw") or by its alias ("us")."""
    return all(
        (w in ACTOR_ALIASES and re.search(ACTOR_ALIASES[w], text) is not None)
        or (w not in ACTOR_ALIASES and (has_word(text, w) or spelt_out(text, w)))
        for w in actor
    )


_SHARE_OF = re.compile(
    r"\b(?:what|which) (?:share|percentage|percent|proportion|fraction) of (?:the |all )?[a-z][\w'-]*s?\b(.*)$", re.I
)
_FUNCTION = frozenset(
    """their them they its his her our your this that these those there here who whom whose which what said says say
    feel feels felt think thinks thought according acc per still also only just really very been being""".split()
)


def share_predicate(question: str, actor_words: Sequence[str] = ()) -> tuple[str, ...]:
    """Return what a share question says of its group ("trust", "police" in "what % of salvadorans trust their local
    police"): a share of the same group saying something else ("88% of Salvadorans felt safe") does not answer."""
    m = _SHARE_OF.search(question)
    if not m:
        return ()
    # "what share of the vote did bukele claim": after "did" comes who gave the share, not what it is of.
    said = re.split(r"\b(?:did|does|do)\b", m.group(1), maxsplit=1)[0]
    words = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]+", said)]
    skip = set(actor_words) | _FUNCTION | GENERIC
    return tuple(dict.fromkeys(w for w in words if len(w) >= 4 and w not in skip))
