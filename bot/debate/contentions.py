"""Contentions discovered from the sources when none are given (key point analysis, offline).

The sentences the stance model puts on a side with confidence are grouped by k-means on their embeddings
(scikit-learn; 3 to 8 groups, about one per six sentences). Each group becomes a contention named by its most
representative sentence: the member closest to the group's centre, verbatim, with its source and offsets, and
marked as the bot's choice (``origin="discovered"``). Groups are ordered by size, so the first contention of a side
is the point most of its evidence makes.

How well "closest to a key point" matches what people mean is measured on ArgKP (``python -m bot eval
--external``, ``key_points``); the same cosine threshold decides here which sentences a contention covers.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from bot.debate.motions import SIDES, Contention, Motion, Side
from bot.debate.sentences import SentenceTable
from bot.debate.stance_model import load_model
from bot.settings import Settings

MIN_CONTENTIONS = 3
MAX_CONTENTIONS = 8
"""Contentions discovered per side, at least and at most (hand-set: what one side of a brief can carry)."""
SENTENCES_PER_CONTENTION = 6
"""About this many of a side's sentences per discovered contention (hand-set, not fitted)."""


def discover(motion: Motion, table: SentenceTable, settings: Settings) -> Motion:
    """Return the motion with discovered contentions on both sides (its own contentions are ignored here)."""
    bare = Motion(motion.id, motion.text)
    labels = table.labels(bare, settings)
    sides = {side: _side(bare, table, labels, side, settings) for side in SIDES}
    return Motion(motion.id, motion.text, sides["pro"], sides["con"])


def _side(
    motion: Motion, table: SentenceTable, labels: np.ndarray, side: Side, settings: Settings
) -> tuple[Contention, ...]:
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    sure = table.side_probability(motion, settings, side) >= load_model().unsure_below
    rows = np.flatnonzero((labels == side) & sure)
    if not len(rows):
        return ()
    k = int(np.clip(len(rows) // SENTENCES_PER_CONTENTION, MIN_CONTENTIONS, MAX_CONTENTIONS))
    k = min(k, len(rows))
    vectors = table.vectors[rows]
    # One thread: a few hundred sentences need no more, and OpenMP inside a server's worker threads can deadlock.
    with threadpool_limits(limits=1):
        km = KMeans(n_clusters=k, n_init=4, random_state=0).fit(vectors)
    groups = sorted(range(k), key=lambda g: -int((km.labels_ == g).sum()))
    out = []
    for n, g in enumerate(groups, 1):
        members = np.flatnonzero(km.labels_ == g)
        centre = km.cluster_centers_[g]
        row = int(rows[members[int(np.argmax(vectors[members] @ centre))]])
        out.append(
            Contention(
                id=f"{side}-found-{n}",
                claim=table.texts[row],
                side=side,
                origin="discovered",
                source_id=table.source_ids[row],
                start=int(table.starts[row]),
                end=int(table.ends[row]),
            )
        )
    return tuple(out)


def with_contentions(motion: Motion, table: SentenceTable, settings: Settings) -> Motion:
    """Return the motion with contentions discovered from the sources for each side that has none."""
    if motion.pro and motion.con:
        return motion
    found = discover(motion, table, settings)
    return replace(motion, pro=motion.pro or found.pro, con=motion.con or found.con)
