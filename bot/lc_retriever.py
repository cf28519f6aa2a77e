"""``BotRetriever``: ``retrieve()`` as a LangChain retriever (imported only when used: LangChain is slow to load)."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from bot.retrieval import retrieve
from bot.settings import Settings
from bot.types import Passage


class BotRetriever(BaseRetriever):
    """LangChain retriever over ``retrieve()``: drop it into any chain; ``invoke(query, k=3)`` works too."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    k: int = 5
    sources: list[str] | None = None
    min_score: float | None = None
    settings: Settings | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[LCDocument]:
        passages = retrieve(
            query,
            kwargs.get("k", self.k),
            sources=kwargs.get("sources", self.sources),
            min_score=kwargs.get("min_score", self.min_score),
            settings=self.settings,
        )
        return [to_langchain(p) for p in passages]


def to_langchain(passage: Passage) -> LCDocument:
    """Convert a Passage to a LangChain Document (all fields but the text in metadata)."""
    meta = {k: v for k, v in passage.__dict__.items() if k != "text"}
    return LCDocument(page_content=passage.text, metadata=meta, id=passage.id)
