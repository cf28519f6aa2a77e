"""clash(): points on which the sources give different figures (homicides, deaths in custody, arrests...).

Two ways in, both over every sentence of the index:

* *Found*: every figure a sentence gives is read as (number, measure, period): the measure is the noun the number
  counts ("114 homicides", "261 deaths", "65% of inmates" -> the noun after "of"), the period the year the
  sentence names. Figures of the same measure and the same year that differ between sources are a clash. This
  needs no list and works on any topic.
* *Listed* (optional, first): a YAML file (``settings.clash_topics_file``, default ``corpus/clash_topics.yaml``)
  of points to look for, each with regular expressions a sentence must match and one that captures the figure.

Each distinct figure a source gives becomes a side with its card (the sentence, the figure highlighted). A point is
reported only when at least two different figures turn up, from at least two sources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.debate.cards import make_card
from bot.debate.motions import Motion, default_motion
from bot.debate.sentences import SentenceTable, sentence_table
from bot.errors import InputError, NotFoundError
from bot.files import load_yaml
from bot.manifest import source_info
from bot.settings import Settings, get_settings
from bot.types import ClashPoint, ClashSide, Span


@dataclass(frozen=True)
class Topic:
    """A disputed point: what a sentence must say to be about it, and the pattern capturing its figure."""

    id: str
    label: str
    require: tuple[re.Pattern[str], ...]
    value: re.Pattern[str]
    exclude: tuple[re.Pattern[str], ...] = ()

    def figure(self, sentence: str) -> list[tuple[str, int, int]]:
        """Return each figure the sentence gives on this topic, with its match's offsets in the sentence."""
        if not all(p.search(sentence) for p in self.require) or any(p.search(sentence) for p in self.exclude):
            return []
        out = []
        for match in self.value.finditer(sentence):
            value = next((v for k, v in match.groupdict().items() if v and k.startswith("value")), None)
            if value:
                out.append((value, match.start(), match.end()))
        return out


def load_topics(settings: Settings | None = None) -> list[Topic]:
    """Load and check the clash topics file (``settings.clash_topics_file``)."""
    settings = settings or get_settings()
    path = settings.clash_topics_file
    data = load_yaml(path, "clash topics file", "corpus/clash_topics.yaml")
    if not isinstance(data, dict) or not isinstance(data.get("topics"), list):
        raise InputError(f"The clash topics file {path} has no 'topics' list.", "Write `topics: [{id, label, ...}]`.")
    return [_topic(raw, path) for raw in data["topics"]]


def _topic(raw: Any, path: Path) -> Topic:
    if not isinstance(raw, dict) or not all(isinstance(raw.get(k), str) and raw[k].strip() for k in ("id", "label")):
        raise InputError(f"A topic in {path} has no id or label.", "Give every topic id, label, require and value.")
    where = f"topic {raw['id']!r} in {path}"

    def compile_(pattern: Any, key: str) -> re.Pattern[str]:
        if not isinstance(pattern, str) or not pattern:
            raise InputError(f"The {key!r} of {where} is not a pattern.", "Write a regular expression as a string.")
        try:
            return re.compile(pattern, re.I)
        except re.error as exc:
            raise InputError(f"The {key!r} of {where} is not a valid regular expression: {exc}.", "Fix it.") from exc

    value = compile_(raw.get("value"), "value")
    if not any(name.startswith("value") for name in value.groupindex):
        raise InputError(f"The 'value' of {where} has no group named value.", "Capture the figure as (?P<value>...).")
    return Topic(
        id=raw["id"].strip(),
        label=raw["label"].strip(),
        require=tuple(compile_(p, "require") for p in raw.get("require") or []),
        value=value,
        exclude=tuple(compile_(p, "exclude") for p in raw.get("exclude") or []),
    )


def _number(value: str) -> float:
    digits = re.sub(r"[^\d.]", "", value.replace(",", ""))
    try:
        return float(digits)
    except ValueError:
        return float("inf")


def clash(
    *, topics: list[str] | None = None, discover: bool = True, settings: Settings | None = None
) -> list[ClashPoint]:
    """Return the disputed points: the listed topics (all, or these ids) first, then the ones found in the sources.

    ``discover=False`` keeps to the listed topics; naming ``topics`` implies it.
    """
    settings = settings or get_settings()
    known = load_topics(settings) if settings.clash_topics_file.exists() or topics is not None else []
    if topics is not None:
        if isinstance(topics, str) or not all(isinstance(t, str) for t in topics):
            raise InputError("topics must be a list of topic ids.", 'Pass e.g. topics=["deaths-in-custody"].')
        unknown = sorted(set(topics) - {t.id for t in known})
        if unknown:
            raise NotFoundError(
                f"Unknown clash topic(s): {', '.join(unknown)}.", f"Use ids from {settings.clash_topics_file}."
            )
        known = [t for t in known if t.id in topics]
        discover = False
    table = sentence_table(settings)
    motion = default_motion(settings) if settings.motions_file.exists() else Motion("none", "the sources")
    labels = table.labels(motion, settings)
    points = []
    listed_rows: set[tuple[int, int, int]] = set()
    for topic in known:
        found = [
            (row, value, a, b) for row, sentence in enumerate(table.texts) for value, a, b in topic.figure(sentence)
        ]
        point = _point(table, labels, found, topic.id, topic.label, settings)
        if point is not None:
            points.append(point)
            listed_rows |= {(row, a, b) for row, _, a, b in found}
    if discover:
        for key, found in sorted(found_figures(table).items()):
            found = [f for f in found if (f[0], f[2], f[3]) not in listed_rows]
            measure, year = key
            point = _point(table, labels, found, f"found-{measure}-{year}", f"{measure} in {year}", settings)
            if point is not None:
                points.append(point)
    return points


_FIGURE = re.compile(
    r"(?<![\w.,])(?P<value>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?P<unit>\s?%|\s+(?:per\s?cent|percent))?"
    r"(?:\s+(?:million|thousand))?\s+(?:(?:of|more|fewer|new|adult|alleged|reported|registered|recorded|known)\s+)*"
    r"(?:the\s+)?(?P<noun>[a-z][a-z-]{2,})(?:\s+(?P<noun2>[a-z][a-z-]{2,}))?",
    re.I,
)
_YEAR = re.compile(r"\b(?:19[5-9]\d|20[0-4]\d)\b")
_NOT_MEASURES = frozenset(
    "and or to in on at by for from with than per the a an who which that were was are is had has have been years year "
    "months month days day weeks week hours times km miles january february march april may june july august "
    "september october november december".split()
)


def found_figures(table: SentenceTable) -> dict[tuple[str, str], list[tuple[int, str, int, int]]]:
    """Return the figures of every sentence by (measure, year): (row, figure as written, start, end in sentence)."""
    out: dict[tuple[str, str], list[tuple[int, str, int, int]]] = {}
    for row, sentence in enumerate(table.texts):
        years = _YEAR.findall(sentence)
        if len(set(years)) != 1:
            continue  # no period, or several: which figure goes with which year is a guess
        for m in _FIGURE.finditer(sentence):
            value, noun = m.group("value"), m.group("noun").lower()
            if _YEAR.fullmatch(value) or noun in _NOT_MEASURES:
                continue
            second = (m.group("noun2") or "").lower()
            words = [noun] if not second or second in _NOT_MEASURES else [noun, second]
            words[-1] = words[-1][:-1] if words[-1].endswith("s") and len(words[-1]) > 4 else words[-1]
            measure = ("% " if m.group("unit") else "") + " ".join(words)
            out.setdefault((measure, years[0]), []).append((row, value, m.start(), m.end()))
    return out


def _point(
    table: SentenceTable,
    labels: Any,
    found: list[tuple[int, str, int, int]],
    point_id: str,
    title: str,
    settings: Settings,
) -> ClashPoint | None:
    """Return a clash point from figures found in sentences, or None unless two sources give different figures."""
    sides: list[ClashSide] = []
    seen: set[tuple[str, float]] = set()
    for row, value, a, b in found:
        sid = table.source_ids[row]
        if (sid, _number(value)) in seen:
            continue
        sentence, start = table.texts[row], int(table.starts[row])
        publisher = source_info(sid, settings).publisher or sid
        card = make_card(
            table,
            [row],
            [],
            stance=labels[row],
            score=1.0,
            tag=f"{title}: {value}, according to {publisher}",
            contention=point_id,
            settings=settings,
            highlight=(Span(sentence[a:b], start + a, start + b),),
            underline=(Span(sentence, start, start + len(sentence)),),  # the warrant: the sentence giving the figure
        )
        if card is not None:
            seen.add((sid, _number(value)))
            sides.append(ClashSide(value=value, card=card))
    if len({_number(s.value) for s in sides}) < 2 or len({s.card.source_id for s in sides}) < 2:
        return None
    sides.sort(key=lambda s: (_number(s.value), s.card.cite.date))
    return ClashPoint(topic=title, sides=sides, id=point_id)
