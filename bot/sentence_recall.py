"""Sentence recall: the passages that hold the sentences nearest a question, whatever their passages' rank.

Retrieval ranks passages, and a passage's vector is the mean of several sentences: the one sentence that answers a
question ("The Bukele administration calls CECOT the largest prison in Latin America", cosine 0.71 to "does the
govt claim cecot is the biggest jail in the region") can sit in a passage that ranks below six others. The
sentence vectors that ingest stores are searched here, exactly, and the passage holding the nearest sentence joins
the retrieved ones when they lack it. An answer is still only a sentence that meets the question's focus and the
refusal floor: this only widens what is looked at.

The stacked vectors are built once per index version. An index of more than ``MAX_SENTENCES`` sentences (about
150 MB of float32 vectors at this size) is not searched this way: there, retrieval's passages are all there is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.files import Version, VersionedCache
from bot.grounding import stored_sentence_vectors
from bot.manifest import for_index_version, load_manifest
from bot.retrieval import passage_at
from bot.settings import Settings
from bot.types import Passage

MAX_SENTENCES = 100_000
NEAREST = 1
"""The nearest this many sentences of the index are looked for among the retrieved passages. On the eval set's
874 questions (2026-12-04, every part read before, so a design figure): 1 answers 4 more questions and refuses 2
fewer near misses; 2 or 3 (up to 2 passages added) answer 4-5 more and refuse 3-4 fewer; 5 answer 3 more and refuse
6 fewer. Retrieving 8 passages instead of 6 answered 1 more and refused 4 fewer."""


@dataclass(frozen=True)
class _Table:
    source_ids: list[str]
    starts: np.ndarray
    vectors: np.ndarray


_TABLES: VersionedCache[_Table | None] = VersionedCache(maxsize=4)


def _build(settings: Settings, version: Version) -> _Table | None:
    sids: list[str] = []
    starts: list[int] = []
    rows: list[np.ndarray] = []
    sources = load_manifest(settings).sources
    if sum(len(entry["passages"]) for entry in sources.values()) > MAX_SENTENCES:
        return None  # a passage holds at least one sentence: too many, known without reading a sentence file
    for sid in sorted(sources):
        stored = stored_sentence_vectors(sid, settings)
        if stored is None:
            continue  # an index made before sentence vectors were stored: that source is not searched this way
        for (start, _end), vector in stored.items():
            sids.append(sid)
            starts.append(start)
            rows.append(vector)
        if len(rows) > MAX_SENTENCES:
            return None
    if not rows:
        return None
    return _Table(sids, np.asarray(starts, dtype=np.int64), np.stack(rows).astype(np.float32))


def with_nearest_sentences(
    passages: list[Passage], query_vector: np.ndarray, sources: list[str] | None, settings: Settings
) -> list[Passage]:
    """Return ``passages`` and, after them, the passages holding the index's nearest sentences that they lack."""
    table = for_index_version(_TABLES, settings, _build)
    if table is None or not len(query_vector):
        return passages
    scores = table.vectors @ query_vector
    if sources is not None:
        allowed = set(sources)
        scores = np.where([sid in allowed for sid in table.source_ids], scores, -np.inf)
    order = np.argsort(-scores)[:NEAREST]
    extra: list[Passage] = []
    for row in order:
        if not np.isfinite(scores[row]):
            break
        sid, start = table.source_ids[row], int(table.starts[row])
        if any(p.source_id == sid and p.start <= start < p.end for p in [*passages, *extra]):
            continue
        holding = passage_at(sid, start, settings)
        if holding is not None:
            extra.append(holding)
    return [*passages, *extra]
