"""Eval sets: labelled questions (factual / unanswerable) and stance passages, loaded and validated."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bot.errors import InputError
from bot.files import load_yaml
from bot.settings import shipped

Split = Literal["dev", "test"]


@dataclass(frozen=True)
class EvalQuestion:
    """A question with its gold sources and a gold answer string (empty for unanswerable ones)."""

    id: str
    question: str
    type: Literal["factual", "unanswerable"]
    gold_sources: tuple[str, ...]
    answer: str
    split: Split
    near_miss: bool = False
    """An unanswerable question on the corpus's own subject (wrong year, absent measure, absent actor), not an
    off-topic one ("the capital of Norway")."""


@dataclass(frozen=True)
class StanceItem:
    """A verbatim passage of a source labelled with its stance toward the default motion."""

    id: str
    source: str
    text: str
    stance: Literal["pro", "con", "neutral"]
    split: Split


@dataclass
class EvalSet:
    """Everything in one eval file or folder."""

    questions: list[EvalQuestion] = field(default_factory=list)
    stance: list[StanceItem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def split(self, name: Split | None) -> EvalSet:
        """Return only the items of one split (all when name is None)."""
        if name is None:
            return self
        return EvalSet(
            [q for q in self.questions if q.split == name], [s for s in self.stance if s.split == name], self.files
        )


def load_eval(path: str | Path | None = None) -> EvalSet:
    """Load a YAML/JSON eval file, or every such file in a folder (default: tests/eval/)."""
    root = Path(path) if path is not None else shipped("eval")
    if root.is_dir():
        files = sorted(p for p in root.iterdir() if p.suffix.lower() in (".yaml", ".yml", ".json"))
    elif root.is_file():
        files = [root]
    else:
        raise InputError(f"No eval file or folder at {root}.", "Pass a YAML/JSON file or a folder of them.")
    if not files:
        raise InputError(f"No .yaml/.yml/.json eval files in {root}.", "Add one, or pass a file.")
    out = EvalSet(files=[str(f) for f in files])
    seen: set[str] = set()
    for file in files:
        if file.suffix.lower() == ".json":
            try:
                data = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise InputError(f"Cannot parse eval file {file}: {exc}.", "Fix its JSON syntax.") from exc
        else:
            data = load_yaml(file, "eval file", "tests/eval/")
        if not isinstance(data, dict):
            raise InputError(f"Eval file {file} is not a mapping.", "Use top-level keys 'questions' and 'stance'.")
        for raw in data.get("questions") or []:
            q = _question(raw, file)
            _unique(q.id, seen, file)
            out.questions.append(q)
        for raw in data.get("stance") or []:
            s = _stance(raw, file)
            _unique(s.id, seen, file)
            out.stance.append(s)
    return out


def _unique(item_id: str, seen: set[str], file: Path) -> None:
    if item_id in seen:
        raise InputError(f"Duplicate eval id {item_id!r} in {file}.", "Give every item its own id.")
    seen.add(item_id)


def _field(raw: dict[str, Any], key: str, file: Path, allowed: tuple[str, ...] | None = None) -> str:
    value = raw.get(key)
    if value is None or (allowed is None and not str(value).strip() and key not in ("answer",)):
        raise InputError(f"Eval item {raw.get('id', '?')!r} in {file} has no {key!r}.", f"Add '{key}'.")
    value = str(value)
    if allowed and value not in allowed:
        raise InputError(
            f"Eval item {raw.get('id', '?')!r} in {file}: {key}={value!r}.", f"Use one of: {', '.join(allowed)}."
        )
    return value


def _question(raw: Any, file: Path) -> EvalQuestion:
    if not isinstance(raw, dict):
        raise InputError(f"A question in {file} is not a mapping.", "Each question needs id, question, type, ...")
    qtype = _field(raw, "type", file, ("factual", "unanswerable"))
    gold = tuple(str(s) for s in raw.get("gold_sources") or [])
    answer = str(raw.get("answer") or "")
    if qtype == "factual" and (not gold or not answer.strip()):
        raise InputError(
            f"Factual question {raw.get('id')!r} in {file} needs gold_sources and answer.",
            "Add both, or mark it unanswerable.",
        )
    return EvalQuestion(
        id=_field(raw, "id", file),
        question=_field(raw, "question", file),
        type=qtype,  # type: ignore[arg-type]
        gold_sources=gold,
        answer=answer,
        split=_field(raw, "split", file, ("dev", "test")),  # type: ignore[arg-type]
        near_miss=_near_miss(raw, qtype, file),
    )


def _near_miss(raw: dict[str, Any], qtype: str, file: Path) -> bool:
    value = raw.get("near_miss", False)
    if not isinstance(value, bool) or (value and qtype != "unanswerable"):
        raise InputError(
            f"Eval item {raw.get('id', '?')!r} in {file}: near_miss={value!r}.",
            "Use near_miss: true only on an unanswerable question (or leave it out).",
        )
    return value


def _stance(raw: Any, file: Path) -> StanceItem:
    if not isinstance(raw, dict):
        raise InputError(f"A stance item in {file} is not a mapping.", "Each needs id, source, text, stance, split.")
    return StanceItem(
        id=_field(raw, "id", file),
        source=_field(raw, "source", file),
        text=_field(raw, "text", file),
        stance=_field(raw, "stance", file, ("pro", "con", "neutral")),  # type: ignore[arg-type]
        split=_field(raw, "split", file, ("dev", "test")),  # type: ignore[arg-type]
    )
