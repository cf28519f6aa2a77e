"""Motions and each side's contentions, from ``corpus/motions.yaml`` (``settings.motions_file``).

The file looks like this::

    default: cecot-justified
    motions:
      - id: cecot-justified
        text: "El Salvador's mass-incarceration policy, symbolised by CECOT, is justified"
        pro: [{id: pro-homicides, claim: "..."}]
        con: [{id: con-due-process, claim: "..."}]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bot.errors import InputError
from bot.files import load_yaml
from bot.settings import Settings, get_settings

Side = Literal["pro", "con"]
SIDES: tuple[Side, Side] = ("pro", "con")


@dataclass(frozen=True)
class Contention:
    """One argument a side runs: a short id and the claim in a sentence."""

    id: str
    claim: str
    side: Side
    origin: str = "given"
    """"given" (motions file or caller) or "discovered" (a sentence of the sources, chosen by the bot)."""
    source_id: str = ""
    start: int = -1
    end: int = -1
    """For a discovered contention: the sentence's source and offsets (the claim is its exact words)."""


@dataclass(frozen=True)
class Motion:
    """A motion and the contentions each side runs (either list may be empty)."""

    id: str
    text: str
    pro: tuple[Contention, ...] = ()
    con: tuple[Contention, ...] = ()

    def side(self, side: Side) -> tuple[Contention, ...]:
        """Return one side's contentions."""
        return self.pro if side == "pro" else self.con

    @property
    def contentions(self) -> tuple[Contention, ...]:
        """Return every contention, pro first."""
        return self.pro + self.con


@dataclass(frozen=True)
class MotionFile:
    """Everything in a motions file."""

    default: str
    motions: tuple[Motion, ...]


def load_motions(settings: Settings | None = None) -> MotionFile:
    """Load and check the motions file (``settings.motions_file``)."""
    settings = settings or get_settings()
    path = settings.motions_file
    data = load_yaml(path, "motions file", "corpus/motions.yaml, or set BOT_MOTIONS_FILE")
    if not isinstance(data, dict) or not isinstance(data.get("motions"), list) or not data["motions"]:
        raise InputError(
            f"The motions file {path} has no 'motions' list.",
            "Write `motions: [{id, text, pro: [{id, claim}], con: [...]}]`.",
        )
    motions = tuple(_motion(raw, i, path) for i, raw in enumerate(data["motions"]))
    ids = [m.id for m in motions]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InputError(f"Duplicate motion id(s) {duplicates} in {path}.", "Give every motion its own id.")
    default = str(data.get("default") or motions[0].id)
    if default not in ids:
        raise InputError(f"The default motion {default!r} in {path} is not defined.", f"Use one of: {', '.join(ids)}.")
    return MotionFile(default, motions)


def _motion(raw: Any, index: int, path: Path) -> Motion:
    where = f"motion #{index + 1} in {path}"
    if not isinstance(raw, dict):
        raise InputError(f"The {where} is not a mapping.", "Give it id, text, pro and con.")
    motion_id, text = _text(raw, "id", where), _text(raw, "text", where)
    sides = {side: _contentions(raw.get(side), side, f"{where} ({motion_id})") for side in SIDES}
    return Motion(motion_id, text, sides["pro"], sides["con"])


def _contentions(raw: Any, side: Side, where: str) -> tuple[Contention, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InputError(f"'{side}' of the {where} is not a list.", "Write a list of {id, claim} entries.")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise InputError(f"{side} contention #{i + 1} of the {where} is not a mapping.", "Give it id and claim.")
        label = f"{side} contention #{i + 1} of the {where}"
        out.append(Contention(_text(item, "id", label), _text(item, "claim", label), side))
    return tuple(out)


def _text(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str | int) or not str(value).strip():
        raise InputError(f"The {where} has no {key!r}.", f"Add a non-empty '{key}'.")
    return str(value).strip()


def default_motion(settings: Settings | None = None) -> Motion:
    """Return the motion named by ``default:`` in the motions file."""
    motions = load_motions(settings)
    return next(m for m in motions.motions if m.id == motions.default)


def _normal(text: str) -> str:
    return re.sub(r"\W+", " ", text.replace("’", "'").lower()).strip()


def find_motion(text_or_id: str, settings: Settings | None = None) -> Motion | None:
    """Return the motion with this id or text (case, punctuation and spacing ignored), or None.

    The motions file is optional here: without one, no motion is known and any text is a new motion.
    """
    settings = settings or get_settings()
    if not settings.motions_file.exists():
        return None
    key = _normal(text_or_id)
    for motion in load_motions(settings).motions:
        if text_or_id.strip() == motion.id or _normal(motion.text) == key:
            return motion
    return None


def resolve_motion(
    text: str, contentions: dict[str, list[str]] | None = None, settings: Settings | None = None
) -> Motion:
    """Return the motion for ``text``: the known one, or a new one; given contentions override the file's.

    ``contentions`` maps ``"pro"``/``"con"`` to claims; a side that is not given keeps the file's contentions.
    """
    settings = settings or get_settings()
    known = find_motion(text, settings)
    motion = known or Motion(id="custom", text=text)
    if not contentions:
        return motion
    if not isinstance(contentions, dict) or set(contentions) - set(SIDES):
        raise InputError("contentions must map 'pro' and/or 'con' to lists of claims.", 'Pass {"pro": ["..."]}.')
    sides: dict[Side, tuple[Contention, ...]] = {"pro": motion.pro, "con": motion.con}
    for side in SIDES:
        claims = contentions.get(side)
        if claims is None:
            continue
        if isinstance(claims, str) or not all(isinstance(c, str) and c.strip() for c in claims):
            raise InputError(f"The {side} contentions must be a list of non-empty strings.", "Pass one claim a line.")
        sides[side] = tuple(Contention(f"{side}-{i + 1}", c.strip(), side) for i, c in enumerate(claims))
    return Motion(motion.id, motion.text, sides["pro"], sides["con"])
