"""The exact search's int8 first pass: it narrows the rows scored in float32 and never changes the answer."""

from __future__ import annotations

import numpy as np
import pytest

from bot import retrieval
from bot.exact import Int8Rows, best_first, top_rows
from bot.settings import Settings


def _unit(rows: np.ndarray) -> np.ndarray:
    return np.asarray(rows / np.linalg.norm(rows, axis=1, keepdims=True), dtype=np.float32)


@pytest.fixture(scope="module")
def clustered() -> np.ndarray:
    """6,000 unit vectors in tight clusters, with exact duplicates: many near-ties at every cut-off."""
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(40, 384))
    rows = centres[rng.integers(0, 40, 6000)] + rng.normal(scale=0.15, size=(6000, 384))
    rows[3000:3300] = rows[:300]
    return _unit(rows)


def _brute(vectors: np.ndarray, qvec: np.ndarray, n: int) -> list[int]:
    scores = vectors.astype(np.float64) @ qvec.astype(np.float64)
    return sorted(range(len(vectors)), key=lambda r: (-scores[r], r))[:n]


@pytest.mark.parametrize("n", [1, 5, 30, 200])
def test_int8_pass_gives_the_same_rows_as_scoring_every_row(clustered: np.ndarray, n: int) -> None:
    int8 = Int8Rows.of(clustered)
    rng = np.random.default_rng(n)
    narrowed = []
    for probe in range(40):
        # queries near stored rows (as a real query is near its passages) and a few far from any
        qvec = _unit((clustered[probe * 97] + rng.normal(scale=0.3 if probe % 4 else 3.0, size=384))[None])[0]
        assert top_rows(clustered, qvec, n, int8).tolist() == top_rows(clustered, qvec, n).tolist()
        narrowed.append(len(int8.candidates(qvec, n)))
    assert np.median(narrowed) < len(clustered) / 4, f"the int8 pass kept {np.median(narrowed)} rows"


def test_ties_go_to_the_lower_row_and_match_a_brute_force_ranking(clustered: np.ndarray) -> None:
    qvec = clustered[3005]  # its duplicate is row 5: an exact tie at the top
    best = top_rows(clustered, qvec, 10, Int8Rows.of(clustered)).tolist()
    assert best[:2] == [5, 3005]
    assert set(best) == set(_brute(clustered, qvec, 10))


def test_candidates_always_hold_the_true_top_rows(clustered: np.ndarray) -> None:
    int8 = Int8Rows.of(clustered)
    rng = np.random.default_rng(3)
    for _ in range(30):
        qvec = _unit(rng.normal(size=(1, 384)))[0]
        assert set(_brute(clustered, qvec, 30)) <= set(int8.candidates(qvec, 30).tolist())


def test_small_inputs() -> None:
    vectors = _unit(np.random.default_rng(1).normal(size=(3, 8)))
    assert top_rows(vectors, vectors[1], 10).tolist()[0] == 1  # n above the row count: every row, best first
    assert len(top_rows(vectors, vectors[1], 10)) == 3
    assert top_rows(vectors[:0], vectors[1], 5).tolist() == []


def test_retrieve_with_the_int8_pass_matches_retrieve_without(
    corpus_index: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    queries = [
        "how many inmates can cecot hold",
        "deaths in custody since 2022",
        "homicide rate el salvador",
        "who pays for the prison",
        "mass trials",
        "state of exception renewed",
        "children arrested",
        "bukele approval",
    ]
    retrieval.clear_cache()
    plain = {q: [p.id for p in retrieval.retrieve(q, 5, settings=corpus_index)] for q in queries}
    assert retrieval._load_index(corpus_index).int8 is None  # a small index scores every row directly
    monkeypatch.setattr(retrieval, "INT8_MIN_ROWS", 1)
    retrieval.clear_cache()
    try:
        assert retrieval._load_index(corpus_index).int8 is not None
        narrowed = {q: [p.id for p in retrieval.retrieve(q, 5, settings=corpus_index)] for q in queries}
    finally:
        retrieval.clear_cache()
    assert narrowed == plain


def test_best_first_orders_equal_scores_by_position() -> None:
    scores = np.array([0.2, 0.9, 0.5, 0.9, 0.5, 0.5, 0.1])
    assert best_first(scores, 4).tolist() == [1, 3, 2, 4]
    assert best_first(scores, 10).tolist() == [1, 3, 2, 4, 5, 0, 6]


@pytest.mark.parametrize("query", ["deaths in custody", "homicide rate 2023", "cecot capacity inmates", "bukele"])
def test_bm25_ranking_has_the_scores_bm25s_ranks_first(corpus_index: Settings, query: str) -> None:
    from bot.text import tokenize

    index = retrieval._load_index(corpus_index)
    ours = retrieval._bm25(query, 30, None, index)
    tokens = [t for t in tokenize(query) if t in index.bm25.vocab_dict]
    _, theirs = index.bm25.retrieve([tokens], k=30, show_progress=False, n_threads=0)
    scores = index.bm25.get_scores(tokens)
    expected = [float(s) for s in theirs[0] if s > 0]
    assert [float(scores[r]) for r in ours] == pytest.approx(expected)
    assert ours == sorted(ours, key=lambda r: (-scores[r], r))
    rows = index.rows_by_source[index.source_of[ours[-1]]]  # a source holding a query word
    only = retrieval._bm25(query, 30, rows, index)
    assert only and set(only) <= set(rows.tolist())
    kept = [r for r in ours if r in set(rows.tolist())]  # the full ranking's order, within the source
    assert only[: len(kept)] == kept
