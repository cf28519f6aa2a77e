"""Prompt templates from ``prompts/``: loaded once, placeholders checked before use."""

from __future__ import annotations

import functools
import string
from dataclasses import dataclass
from pathlib import Path

from bot.errors import InputError
from bot.phrases import REFUSAL
from bot.settings import Settings, get_settings

REQUIRED: dict[str, frozenset[str]] = {
    "answer_system": frozenset({"refusal"}),
    "answer": frozenset({"sources", "question"}),
    "rewrite": frozenset({"history", "question"}),
    "stance": frozenset({"motion", "pro", "con", "passage"}),
    "tag": frozenset({"motion", "side", "evidence"}),
    "analysis": frozenset({"argument", "evidence"}),
}
"""Every prompt file and exactly the placeholders it must use."""

FIXED = {"refusal": REFUSAL}
"""Placeholders filled from bot.phrases, never by callers."""

SOURCE_OPEN = '<source n="{n}" title="{title}" publisher="{publisher}" date="{date}">'
SOURCE_CLOSE = "</source>"


@dataclass(frozen=True)
class Prompt:
    """A checked template: ``render(**values)`` fills every placeholder or fails."""

    name: str
    template: str
    fields: frozenset[str]

    def render(self, **values: str) -> str:
        """Fill the template; fixed phrases are filled here, the rest must be given."""
        merged = {**{k: v for k, v in FIXED.items() if k in self.fields}, **values}
        missing = self.fields - set(merged)
        if missing:
            raise InputError(f"Prompt {self.name!r} needs {sorted(missing)}.", "Pass every placeholder value.")
        return self.template.format(**{k: merged[k] for k in self.fields})


def placeholders(template: str) -> frozenset[str]:
    """Return the named placeholders of a ``str.format`` template."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def load_prompt(name: str, settings: Settings | None = None) -> Prompt:
    """Load ``prompts/<name>.md`` and check it uses exactly its required placeholders."""
    settings = settings or get_settings()
    return _load(name, settings.prompts_dir)


@functools.cache
def _load(name: str, folder: Path) -> Prompt:
    if name not in REQUIRED:
        raise InputError(f"Unknown prompt {name!r}.", f"Use one of: {', '.join(sorted(REQUIRED))}.")
    path = folder / f"{name}.md"
    try:
        template = path.read_text(encoding="utf-8").strip() + "\n"
    except OSError as exc:
        raise InputError(f"Cannot read prompt file {path}: {exc}.", "Restore it from the repository.") from exc
    try:
        fields = placeholders(template)
    except ValueError as exc:
        raise InputError(f"Prompt {path} is not a valid template: {exc}.", "Escape literal braces as {{ }}.") from exc
    if fields != REQUIRED[name]:
        raise InputError(
            f"Prompt {path} uses placeholders {sorted(fields)}, expected {sorted(REQUIRED[name])}.",
            "Fix the placeholders in the prompt file.",
        )
    return Prompt(name, template, fields)


def fence_source(n: int, title: str, publisher: str, date: str, text: str) -> str:
    """Wrap a passage as numbered data; a closing tag inside the text is defused so it cannot end the fence."""
    safe = text.replace(SOURCE_CLOSE, "< /source>").replace("<source", "< source")

    def attr(value: str) -> str:
        return value.replace('"', "'").replace("<", "(").replace(">", ")")

    head = SOURCE_OPEN.format(n=n, title=attr(title), publisher=attr(publisher), date=attr(date))
    return f"{head}\n{safe}\n{SOURCE_CLOSE}"
