"""The debater's evidence file ("my file"): saved cards, persisted in the data dir, ordered, exportable.

Cards are stored whole (tag, cite, evidence, offsets), so the file survives restarts and even the removal of the
source a card came from: weeks of work are never lost because the index changed.
"""

from __future__ import annotations

import json
import threading
from dataclasses import fields
from pathlib import Path
from typing import Any

from bot.errors import InputError, NotFoundError, StoreError
from bot.manifest import write_atomic
from bot.settings import Settings, get_settings
from bot.types import Card, Citation, Cite, Span, to_dict

_LOCK = threading.Lock()
MAX_CARDS = 5000


def evidence_path(settings: Settings) -> Path:
    """Where the evidence file lives."""
    return settings.data_dir / "evidence.json"


def card_from_dict(data: dict[str, Any]) -> Card:
    """Rebuild a Card from its JSON form (unknown keys are ignored, so older files still load)."""
    known = {f.name for f in fields(Card)}
    values = {k: v for k, v in data.items() if k in known}
    values["cite"] = Cite(
        **{k: v for k, v in dict(data.get("cite") or {}).items() if k in {f.name for f in fields(Cite)}}
    )
    values["highlight"] = tuple(Span(**h) for h in data.get("highlight") or [])
    return Card(**values)


def card_from_citation(citation: Citation, question: str, settings: Settings | None = None) -> Card:
    """Turn an answer's citation into a card: the quote is the evidence (verified), the tag names the question."""
    from bot.brief import cite_of, verified
    from bot.stance import stance

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


def load_cards(settings: Settings | None = None) -> list[Card]:
    """Return the saved cards in the debater's order."""
    settings = settings or get_settings()
    path = evidence_path(settings)
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


def _save(cards: list[Card], settings: Settings) -> None:
    payload = json.dumps({"version": 1, "cards": to_dict(cards)}, ensure_ascii=False, indent=1)
    write_atomic(evidence_path(settings), payload.encode("utf-8"))


def save_card(card: Card, settings: Settings | None = None) -> list[Card]:
    """Append a card (a card already saved is not added twice); return the file."""
    settings = settings or get_settings()
    if not isinstance(card, Card):
        raise InputError(f"Expected a Card, got {type(card).__name__}.", "Save cards from brief(), rebut() or the app.")
    with _LOCK:
        cards = load_cards(settings)
        if any(c.id == card.id for c in cards):
            return cards
        if len(cards) >= MAX_CARDS:
            raise InputError(f"The evidence file already holds {MAX_CARDS} cards.", "Export it and remove some.")
        cards.append(card)
        _save(cards, settings)
        return cards


def remove_card(card_id: str, settings: Settings | None = None) -> list[Card]:
    """Remove a saved card by id; return the file."""
    settings = settings or get_settings()
    with _LOCK:
        cards = load_cards(settings)
        kept = [c for c in cards if c.id != card_id]
        if len(kept) == len(cards):
            raise NotFoundError(f"No saved card with id {card_id!r}.", "Pick a card from the list.")
        _save(kept, settings)
        return kept


def move_card(card_id: str, offset: int, settings: Settings | None = None) -> list[Card]:
    """Move a saved card up (negative offset) or down; return the file."""
    settings = settings or get_settings()
    with _LOCK:
        cards = load_cards(settings)
        index = next((i for i, c in enumerate(cards) if c.id == card_id), None)
        if index is None:
            raise NotFoundError(f"No saved card with id {card_id!r}.", "Pick a card from the list.")
        target = max(0, min(len(cards) - 1, index + offset))
        cards.insert(target, cards.pop(index))
        _save(cards, settings)
        return cards
