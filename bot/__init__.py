"""Debate-preparation bot: grounded answers, cards and rebuttals whose every quote is checkable.

The public API (stable): ``retrieve``, ``ask``, ``ask_stream``, ``brief``, ``cut_cards``, ``rebut``, ``clash``,
``ingest``, ``remove_source``, ``source_text``, ``list_sources``, ``get_settings`` and the result types in
``bot.types``.
Names are imported lazily so that ``import bot`` loads no model, opens no database and reads no environment.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

from bot.errors import BotError, IngestLockedError, InputError, LLMError, NotFoundError, SourceError, StoreError
from bot.types import (
    A2Block,
    Answer,
    Brief,
    Card,
    Citation,
    Cite,
    ClashPoint,
    ClashSide,
    IngestReport,
    NoCard,
    Passage,
    Rebuttal,
    SourceInfo,
    Span,
    TagCards,
)

if TYPE_CHECKING:
    from bot.answer import ask, ask_stream
    from bot.debate.brief import brief, cut_cards
    from bot.debate.clash import clash
    from bot.debate.rebuttal import rebut
    from bot.ingest import ingest, remove_source
    from bot.manifest import list_sources, source_text
    from bot.retrieval import BotRetriever, retrieve
    from bot.settings import Settings, get_settings

_LAZY = {
    "retrieve": "bot.retrieval",
    "BotRetriever": "bot.retrieval",
    "ask": "bot.answer",
    "ask_stream": "bot.answer",
    "brief": "bot.debate.brief",
    "cut_cards": "bot.debate.brief",
    "rebut": "bot.debate.rebuttal",
    "clash": "bot.debate.clash",
    "ingest": "bot.ingest",
    "remove_source": "bot.ingest",
    "source_text": "bot.manifest",
    "list_sources": "bot.manifest",
    "get_settings": "bot.settings",
    "Settings": "bot.settings",
}

__all__ = [
    "A2Block",
    "Answer",
    "BotError",
    "BotRetriever",
    "Brief",
    "Card",
    "Citation",
    "Cite",
    "ClashPoint",
    "ClashSide",
    "IngestLockedError",
    "IngestReport",
    "InputError",
    "LLMError",
    "NoCard",
    "NotFoundError",
    "Passage",
    "Rebuttal",
    "Settings",
    "SourceError",
    "SourceInfo",
    "Span",
    "StoreError",
    "TagCards",
    "ask",
    "ask_stream",
    "brief",
    "clash",
    "cut_cards",
    "get_settings",
    "ingest",
    "list_sources",
    "rebut",
    "remove_source",
    "retrieve",
    "source_text",
]


class _Package(ModuleType):
    """The package module: a public name is always the function, never the submodule of the same name.

    Importing ``bot.ingest`` (or ``bot.retrieval``) makes Python bind the submodule as an attribute of the package;
    for the public names that binding is refused here, so ``bot.ingest(...)`` works whatever has been imported
    before. The submodules stay reachable as ``sys.modules["bot.ingest"]`` and through ``from bot.ingest import
    ...``. (The debate modules live in ``bot.debate``, so ``bot.brief`` never meets its module.)
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bot' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
