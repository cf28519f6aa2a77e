"""The sentence table: every usable sentence of the index, once per index version, for cards and clash.

Each sentence keeps its offsets into the stored source text, its paragraph, its vector (stored at ingest, or
embedded here when an older index lacks it) and the stance model's motion-independent favour logit, so that a
brief, a rebuttal or a clash map only looks rows up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from bot.debate.favour import encoder_logits
from bot.debate.motions import Motion
from bot.debate.stance import StanceResult, probabilities, verdicts
from bot.debate.stance_model import decide, load_model
from bot.embeddings import embed_query
from bot.files import Version, VersionedCache
from bot.grounding import sentence_vectors, stored_sentence_vectors
from bot.manifest import for_index_version, list_sources, source_text, superseded_digests
from bot.settings import Settings, get_settings
from bot.text import is_sentence, split_sentences
from bot.types import Stance


@dataclass
class SentenceTable:
    """Every usable sentence of the index: offsets, paragraph, embedding and motion-independent favour logit."""

    version: tuple[int, int]
    source_ids: list[str]
    starts: np.ndarray
    ends: np.ndarray
    paragraphs: np.ndarray
    texts: list[str]
    vectors: np.ndarray
    favour: np.ndarray
    rows_by_source: dict[str, np.ndarray]
    digest: np.ndarray
    """True for the sentences of digests (the project's summaries), False for verbatim sources."""
    _stances: VersionedCache[np.ndarray] = field(default_factory=lambda: VersionedCache(maxsize=32))

    def probabilities(self, motion: Motion, settings: Settings) -> np.ndarray:
        """Return every sentence's (pro, con, neutral) probabilities toward a motion (cached per motion)."""
        return self._stances.get(
            motion, None, lambda: probabilities(self.texts, self.vectors, motion, settings, self.favour)
        )

    def labels(self, motion: Motion, settings: Settings) -> np.ndarray:
        """Return every sentence's stance label toward a motion."""
        return decide(self.probabilities(motion, settings))

    def side_probability(self, motion: Motion, settings: Settings, side: Stance) -> np.ndarray:
        """Return P(side | argues) of every sentence."""
        p = self.probabilities(motion, settings)
        column = p[:, 0] if side == "pro" else p[:, 1]
        return np.asarray(column / np.maximum(p[:, 0] + p[:, 1], 1e-12))

    def verdict(self, row: int, motion: Motion, settings: Settings) -> StanceResult:
        """Return one sentence's verdict."""
        return verdicts(self.probabilities(motion, settings)[row : row + 1])[0]


_TABLES: VersionedCache[SentenceTable] = VersionedCache(maxsize=4)


def sentence_table(settings: Settings | None = None) -> SentenceTable:
    """Return the sentence table of the current index (rebuilt when the manifest changes)."""
    return for_index_version(_TABLES, settings or get_settings(), _build_table)


def _build_table(settings: Settings, version: Version) -> SentenceTable:
    sids: list[str] = []
    spans: list[tuple[int, int, int]] = []
    texts: list[str] = []
    rows: list[np.ndarray | None] = []
    rows_by_source: dict[str, np.ndarray] = {}
    digest: list[bool] = []
    infos = list_sources(settings)
    superseded = superseded_digests(infos)
    for info in infos:
        if info.id in superseded:
            continue  # its original is ingested: cards come from the original's words
        text = source_text(info.id, settings)
        first = len(texts)
        breaks = np.array([m.start() for m in re.finditer("\n", text)], dtype=np.int64)
        stored = stored_sentence_vectors(info.id, settings)
        for start, end in split_sentences(text):
            sentence = text[start:end]
            if not is_sentence(sentence, complete=True):
                continue
            sids.append(info.id)
            spans.append((start, end, int(np.searchsorted(breaks, start))))
            texts.append(sentence)
            digest.append(info.digest)
            rows.append(stored.get((start, end)) if stored is not None else None)
        rows_by_source[info.id] = np.arange(first, len(texts))
    vectors = _fill_vectors(texts, rows, settings)
    arr = np.asarray(spans, dtype=np.int64).reshape(-1, 3)
    return SentenceTable(
        version=version,
        source_ids=sids,
        starts=arr[:, 0],
        ends=arr[:, 1],
        paragraphs=arr[:, 2],
        texts=texts,
        vectors=vectors,
        favour=load_model().favour_logits(texts, vectors, encoder_logits(texts, settings)) if texts else np.zeros(0),
        rows_by_source=rows_by_source,
        digest=np.asarray(digest, dtype=bool),
    )


def _fill_vectors(texts: list[str], rows: list[np.ndarray | None], settings: Settings) -> np.ndarray:
    """Stack the stored sentence vectors, embedding only the sentences ingest did not store."""
    missing = [i for i, r in enumerate(rows) if r is None]
    if missing:
        for i, v in zip(missing, sentence_vectors([texts[i] for i in missing], settings), strict=True):
            rows[i] = v
    if not rows:
        return np.zeros((0, len(embed_query("x", settings))), dtype=np.float32)
    return np.stack([r for r in rows if r is not None]).astype(np.float32)
