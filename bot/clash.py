"""clash(): points on which the sources give different figures (homicides, deaths in custody, arrests...).

The topics live in a small YAML file (``settings.clash_topics_file``, default ``corpus/clash_topics.yaml``): each
has regular expressions a sentence must match and one that captures the figure. Every sentence of the index is
scanned; each distinct figure a source gives becomes a side with its card (the sentence, the figure highlighted).
A topic is reported only when at least two different figures turn up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.brief import make_card
from bot.errors import InputError, NotFoundError
from bot.manifest import source_info
from bot.motions import default_motion, load_yaml
from bot.settings import Settings, get_settings
from bot.stance import label, sentence_table
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


def clash(*, topics: list[str] | None = None, settings: Settings | None = None) -> list[ClashPoint]:
    """Return the disputed points: for each topic (all, or these ids) the differing figures, each with its card."""
    settings = settings or get_settings()
    known = load_topics(settings)
    if topics is not None:
        if isinstance(topics, str) or not all(isinstance(t, str) for t in topics):
            raise InputError("topics must be a list of topic ids.", 'Pass e.g. topics=["deaths-in-custody"].')
        unknown = sorted(set(topics) - {t.id for t in known})
        if unknown:
            raise NotFoundError(
                f"Unknown clash topic(s): {', '.join(unknown)}.", f"Use ids from {settings.clash_topics_file}."
            )
        known = [t for t in known if t.id in topics]
    table = sentence_table(settings)
    scores = table.scores(default_motion(settings), settings)
    points = []
    for topic in known:
        sides: list[ClashSide] = []
        seen: set[tuple[str, float]] = set()
        for row, sentence in enumerate(table.texts):
            sid = table.source_ids[row]
            for value, a, b in topic.figure(sentence):
                if (sid, _number(value)) in seen:
                    continue
                start = int(table.starts[row])
                publisher = source_info(sid, settings).publisher or sid
                card = make_card(
                    table,
                    [row],
                    [],
                    stance=label(float(scores[row])),
                    score=1.0,
                    tag=f"{topic.label}: {value}, according to {publisher}",
                    contention=topic.id,
                    settings=settings,
                    highlight=(Span(sentence[a:b], start + a, start + b),),
                )
                if card is not None:
                    seen.add((sid, _number(value)))
                    sides.append(ClashSide(value=value, card=card))
        if len({_number(s.value) for s in sides}) >= 2:
            sides.sort(key=lambda s: (_number(s.value), s.card.cite.date))
            points.append(ClashPoint(topic=topic.label, sides=sides, id=topic.id))
    return points
