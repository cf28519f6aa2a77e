"""The debater's evidence file ("my file"): saved cards, persisted in the data dir, ordered, exportable.

Cards are stored whole (tag, cite, evidence, offsets), so the file survives restarts and even the removal of the
source a card came from: weeks of work are never lost because the index changed.

Every change is a load-modify-write under a cross-process file lock (``filelock``) and ends in an atomic replace,
so the app and the CLI (or several app processes) can save, move and remove cards at once without losing any, and
a reader never sees half a file. Each signed-in user (``BOT_AUTH``) has a file of their own; without sign-in there
is one file.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

from bot.debate.cards import cite_of, verified
from bot.debate.stance import stance
from bot.errors import InputError, NotFoundError, StoreError
from bot.files import file_lock, write_atomic
from bot.settings import Settings, get_settings
from bot.types import Card, Citation, Cite, Span, to_dict

_LOCK = threading.Lock()
MAX_CARDS = 5000


def evidence_path(settings: Settings, user: str | None = None) -> Path:
    """Where the evidence file lives: one per signed-in user, else one for the data dir."""
    if not user:
        return settings.data_dir / "evidence.json"
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", user).strip("-")[:60] or "user"
    return settings.data_dir / "evidence" / f"{slug}.json"


@contextlib.contextmanager
def _locked(settings: Settings, user: str | None) -> Iterator[Path]:
    """Hold the evidence file's lock (threads and processes alike) and yield its path."""
    path = evidence_path(settings, user)

    def busy() -> StoreError:
        return StoreError(
            f"The evidence file {path} stayed locked by another process for {settings.ingest_lock_timeout:g} s.",
            "Try again; if it persists, another bot process is stuck: stop it.",
        )

    with _LOCK, file_lock(path.with_name(path.name + ".lock"), settings.ingest_lock_timeout, busy):
        yield path


def card_from_dict(data: dict[str, Any]) -> Card:
    """Rebuild a Card from its JSON form (unknown keys are ignored, so older files still load)."""
    known = {f.name for f in fields(Card)}
    values = {k: v for k, v in data.items() if k in known}
    values["cite"] = Cite(
        **{k: v for k, v in dict(data.get("cite") or {}).items() if k in {f.name for f in fields(Cite)}}
    )
    values["highlight"] = tuple(Span(**h) for h in data.get("highlight") or [])
    values["underline"] = tuple(Span(**u) for u in data.get("underline") or [])
    return Card(**values)


def card_from_citation(citation: Citation, question: str, settings: Settings | None = None) -> Card:
    """Turn an answer's citation into a card: the quote is the evidence (verified), the tag names the question."""
    settings = settings or get_settings()
    verdict = stance(citation.quote, settings=settings)
    card = Card(
        id=f"{citation.source_id}:{citation.start}-{citation.end}",
        tag=f"On: {question.strip()[:200]}",
        cite=cite_of(citation.source_id, settings),
        evidence=citation.quote,
        start=citation.start,
        end=citation.end,
        highlight=(Span(citation.quote, citation.start, citation.end),),
        stance=verdict.stance,
        score=round(float(verdict.score), 4),
        source_id=citation.source_id,
        side_confidence=verdict.side_confidence,
        side_unsure=verdict.unsure,
    )
    if not verified(card, settings):
        raise StoreError(
            f"The quote of citation [{citation.n}] no longer matches {citation.source_id}.", "Ask the question again."
        )
    return card


def load_cards(settings: Settings | None = None, user: str | None = None) -> list[Card]:
    """Return the saved cards in the debater's order."""
    settings = settings or get_settings()
    return _read(evidence_path(settings, user))


def _read(path: Path) -> list[Card]:
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [card_from_dict(item) for item in data.get("cards", [])]
    except (OSError, ValueError, TypeError, KeyError) as exc:
        # Never overwrite a file we cannot read: that would lose the debater's work.
        raise StoreError(
            f"The evidence file {path} cannot be read ({exc}).",
            "Restore it from a backup or move it aside; the bot will not overwrite it.",
        ) from exc


def _save(cards: list[Card], path: Path) -> None:
    payload = json.dumps({"version": 1, "cards": to_dict(cards)}, ensure_ascii=False, indent=1)
    write_atomic(path, payload.encode("utf-8"))


def save_card(card: Card, settings: Settings | None = None, user: str | None = None) -> list[Card]:
    """Append a card (a card already saved is not added twice); return the file."""
    settings = settings or get_settings()
    if not isinstance(card, Card):
        raise InputError(f"Expected a Card, got {type(card).__name__}.", "Save cards from brief(), rebut() or the app.")
    with _locked(settings, user) as path:
        cards = _read(path)
        if any(c.id == card.id for c in cards):
            return cards
        if len(cards) >= MAX_CARDS:
            raise InputError(f"The evidence file already holds {MAX_CARDS} cards.", "Export it and remove some.")
        cards.append(card)
        _save(cards, path)
        return cards


def remove_card(card_id: str, settings: Settings | None = None, user: str | None = None) -> list[Card]:
    """Remove a saved card by id; return the file."""
    settings = settings or get_settings()
    with _locked(settings, user) as path:
        cards = _read(path)
        kept = [c for c in cards if c.id != card_id]
        if len(kept) == len(cards):
            raise NotFoundError(f"No saved card with id {card_id!r}.", "Pick a card from the list.")
        _save(kept, path)
        return kept


def move_card(card_id: str, offset: int, settings: Settings | None = None, user: str | None = None) -> list[Card]:
    """Move a saved card up (negative offset) or down; return the file."""
    settings = settings or get_settings()
    with _locked(settings, user) as path:
        cards = _read(path)
        index = next((i for i, c in enumerate(cards) if c.id == card_id), None)
        if index is None:
            raise NotFoundError(f"No saved card with id {card_id!r}.", "Pick a card from the list.")
        target = max(0, min(len(cards) - 1, index + offset))
        cards.insert(target, cards.pop(index))
        _save(cards, path)
        return cards
