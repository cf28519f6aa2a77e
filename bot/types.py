"""Typed results of the public API; the UI and the CLI format them, the tasks never do."""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from bot.phrases import BOT_WORDS_LABEL as BOT_WORDS

Stance = Literal["pro", "con", "neutral"]
NoCardReason = Literal["no-evidence", "other-side", "model-disagreed", "overlap", "no-room"]


def web_url(url: str) -> str:
    """Return the URL when it may become a link (http or https with a host), else "": show anything else as text."""
    try:
        parts = urlsplit((url or "").strip())
    except ValueError:
        return ""
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


def to_json(obj: Any) -> str:
    """Return a result (or a list of them) as indented JSON, for the command line."""
    return json.dumps(to_dict(obj), ensure_ascii=False, indent=2)


def to_dict(obj: Any) -> Any:
    """Turn a result dataclass (or a list of them) into JSON-ready dicts."""
    if isinstance(obj, list | tuple):
        return [to_dict(o) for o in obj]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    return obj


@dataclass(frozen=True)
class Passage:
    """A verbatim span of a stored source: ``source_text(source_id)[start:end] == text``."""

    id: str
    source_id: str
    title: str
    url: str
    text: str
    start: int
    end: int
    score: float = 0.0
    page: int | None = None
    publisher: str = ""
    date: str = ""
    digest: bool = False
    """The source is a digest: the project's summary of the original, not the original's words."""


@dataclass(frozen=True)
class Span:
    """A verbatim sub-span of a source, by character offsets into its stored text."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class SourceInfo:
    """One ingested source and its provenance."""

    id: str
    title: str
    publisher: str
    author: str
    date: str
    url: str
    kind: str
    leaning: str
    origin: str
    chars: int
    passages: int
    dropped_lines: tuple[str, ...] = ()
    digest: bool = False
    """A digest (front matter ``digest: true``): the project's summary of the original named by title and url."""
    encoding: str = ""
    """How the file's bytes were decoded ("utf-8", "cp1252", "latin-1", "utf-16"; "" for PDF and DOCX)."""
    credentials: str = ""
    """The author's qualifications, from front matter ``credentials`` (shown in a card's cite)."""
    ingested: str = ""
    """The date the source was ingested (a card's "accessed" date)."""


@dataclass(frozen=True)
class SourceView:
    """A stored source text with one span marked: what a citation or card quotes, in its context."""

    source_id: str
    title: str
    publisher: str
    url: str
    digest: bool
    text: str
    start: int
    end: int
    quote: str


@dataclass
class IngestReport:
    """What one ingest run did, source ids per outcome."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    dropped_lines: dict[str, list[str]] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    """Things ingested but worth a look, by source id (a front-matter URL that is not http or https)."""
    passages_embedded: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        """Return True when the index was modified."""
        return bool(self.added or self.updated or self.removed)


@dataclass(frozen=True)
class Citation:
    """A numbered citation in an answer: the quote is checked against the stored source."""

    n: int
    passage_id: str
    source_id: str
    title: str
    url: str
    publisher: str
    date: str
    quote: str
    start: int
    end: int
    verified: bool
    digest: bool = False
    """The quote is from a digest: the project's summary of the named original, not its author's words."""


@dataclass(frozen=True)
class SentenceCheck:
    """Grounding verdict for one sentence of an answer."""

    text: str
    citations: tuple[int, ...]
    supported: bool
    similarity: float
    reason: str = ""
    """Why the sentence is not supported ("" when it is): shown with the sentence, which the app strikes through."""
    claimed: tuple[int, ...] = ()
    """The citation numbers the model wrote; ``citations`` keeps only those whose passage supports the sentence."""


@dataclass
class Answer:
    """An answer whose every claim cites a passage, or a refusal with the closest material."""

    question: str
    text: str
    citations: list[Citation]
    refused: bool
    model: str
    metrics: dict[str, float | int] = field(default_factory=dict)
    sentences: list[SentenceCheck] = field(default_factory=list)
    closest: list[Passage] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)
    query: str = ""
    note: str = ""
    """A short note shown with the answer, e.g. that the model's answer failed the checks and why."""
    fallback: str = ""
    """Why the model's answer was not used ("" when it was, or no model is set): timeout, loop, empty, unsupported
    or model_refused. The answer is then the extractive one (``model`` is "extractive")."""
    rewrite: str = ""
    """How a follow-up was made standalone: "llm", "offline" or "offline (...why the model's was not used)"; "" for
    a first question."""


@dataclass(frozen=True)
class Cite:
    """Full citation of a card, from the source's front matter."""

    author: str
    publisher: str
    date: str
    title: str
    url: str
    digest: bool = False
    """The evidence is from a digest of this original: cite it as "Digest of: ...", never as the author's words."""
    credentials: str = ""
    """The author's qualifications (front matter ``credentials``); "" when unknown."""
    accessed: str = ""
    """When the source was ingested, as the cite's "accessed" date."""

    @property
    def year(self) -> str:
        """Return the year of the date, or 'n.d.'."""
        return self.date[:4] if self.date[:4].isdigit() else "n.d."

    @property
    def short(self) -> str:
        """Return the short cite read aloud: "Lastname YY" (an organisation keeps its whole name)."""
        first = re.split(r"\s+and\s+|,|&|;", self.author or self.publisher or "Unknown")[0].strip()
        words = first.split()
        is_person = 2 <= len(words) <= 4 and all(w[:1].isupper() for w in words) and self.author != self.publisher
        name = words[-1] if is_person else first
        return f"{name} {self.year[2:] if self.year.isdigit() else self.year}"


@dataclass(frozen=True)
class Card:
    """Debate evidence: a tag in the bot's words, a full cite and the source's exact words."""

    id: str
    tag: str
    cite: Cite
    evidence: str
    start: int
    end: int
    highlight: tuple[Span, ...]
    stance: Stance
    score: float
    source_id: str
    contention: str = ""
    tag_origin: str = BOT_WORDS
    side_confidence: float = 1.0
    """Probability of the card's side given that its key sentence argues (the stance model's, calibrated)."""
    side_unsure: bool = False
    """The side is a guess: the app and exports say "side unsure"."""
    tag_method: str = ""
    """Who wrote the tag when a model is set: "llm: <model>", or why the extractive tag was kept; "" without one."""
    underline: tuple[Span, ...] = ()
    """The warrant: the clauses that prove the tag. The highlight (what is read aloud) lies inside it; a card
    without an underline (saved before the layer existed, or an answer's quote) reads its highlight as both."""

    @property
    def underline_layer(self) -> tuple[Span, ...]:
        """Return the underline, or the highlight where the card has no underline layer of its own."""
        return self.underline or self.highlight

    @property
    def side_label(self) -> str:
        """Return the side as a debater reads it: "likely pro (0.82)", "side unsure (con 0.55)" or "neutral"."""
        if self.stance == "neutral":
            return "neutral"
        if self.side_unsure:
            return f"side unsure ({self.stance} {self.side_confidence:.2f})"
        return f"likely {self.stance} ({self.side_confidence:.2f})"


@dataclass(frozen=True)
class NoCard:
    """A contention that got no card, and why: the bot says so rather than cutting a weak card."""

    contention: str
    """The contention's id."""
    claim: str
    side: Stance
    reason: NoCardReason
    """"no-evidence": no sentence is close enough; "other-side": the close sentences argue against the side or
    neither; "model-disagreed": the model put the evidence found on the other side; "overlap": its evidence is
    already in other cards; "no-room": the side's cards went to closer evidence (ask for more cards per side)."""
    message: str
    """The reason in words, with the closest sentence's similarity and source."""
    closest: float = 0.0
    """Similarity of the closest sentence of any side in the sources."""
    closest_source: str = ""


@dataclass
class TagCards:
    """Cards cut for a tag the debater wrote (``cut_cards``), or why there are none."""

    tag: str
    cards: list[Card]
    no_card: NoCard | None = None
    """Set when no card could be cut: the reason, with the closest sentence's similarity."""
    dropped: int = 0
    """Cards that failed the check against the stored source and were left out."""


@dataclass
class Brief:
    """Cards for and against a motion, with a coverage report."""

    motion: str
    pro: list[Card]
    con: list[Card]
    coverage: dict[str, Any] = field(default_factory=dict)
    model: str = "extractive"
    contentions: dict[str, str] = field(default_factory=dict)
    """Claim of each contention id the cards' ``contention`` fields name (pro first, in the motion's order)."""
    discovered: list[str] = field(default_factory=list)
    """Ids of the contentions the bot discovered from the sources (their claims are source sentences it chose)."""
    no_cards: list[NoCard] = field(default_factory=list)
    """The contentions without a card, each with the reason."""
    methods: dict[str, int] = field(default_factory=dict)
    """With a model: how many stance checks and tags each method made ("stance: llm: ...", "tag: extractive (...)")."""


@dataclass
class A2Block:
    """An answer-to block: evidence that answers one opposing argument."""

    answers: str
    cards: list[Card]
    analysis: str = ""
    analysis_origin: str = BOT_WORDS
    reading: Stance = "neutral"
    """The side the answered argument is read as taking (the cards take the other)."""
    analysis_method: str = ""
    """"llm: <model>", or why the model's line was not used (then ``analysis`` is ""); "" without a model."""


@dataclass
class Rebuttal:
    """Answer-to blocks against an opponent's argument; ``answer_side`` is the side its cards take."""

    argument: str
    argument_stance: Stance
    blocks: list[A2Block]
    model: str = "extractive"
    answer_side: Stance = "neutral"
    """The side the cards take; "neutral" when the argument's side is unsure and both readings are answered."""
    side_confidence: float = 1.0
    """Probability of the side the argument was read as taking."""
    unsure: bool = False
    """The argument's side is unsure: the blocks answer both readings."""
    methods: dict[str, int] = field(default_factory=dict)
    """With a model: how many analysis lines (and the argument's stance) each method made."""


@dataclass
class ClashSide:
    """One source's figure or claim on a disputed point: the figure as the source words it, and its card."""

    value: str
    card: Card


@dataclass
class ClashPoint:
    """A point on which sources give different figures or claims, lowest figure first."""

    topic: str
    sides: list[ClashSide]
    id: str = ""
