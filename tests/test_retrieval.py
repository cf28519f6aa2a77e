"""retrieve(): hybrid, diverse, exact offsets; the LangChain retriever passes LangChain's own tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from bot.embeddings import embed_query
from bot.errors import InputError, NotFoundError
from bot.manifest import source_text
from bot.retrieval import BotRetriever, retrieve
from bot.settings import Settings


def assert_exact(passages: list[Any], s: Settings) -> None:
    for p in passages:
        assert source_text(p.source_id, s)[p.start : p.end] == p.text


def test_capacity_question_finds_the_figure(fixture_index: Settings) -> None:
    passages = retrieve("How many inmates can the prison hold?", 3, settings=fixture_index)
    assert "40,000" in passages[0].text
    assert passages[0].source_id == "prison-capacity"
    assert passages[0].title and passages[0].url.startswith("https://")
    assert_exact(passages, fixture_index)


def test_shipped_corpus_capacity_first(corpus_index: Settings) -> None:
    passages = retrieve("How many inmates can CECOT hold?", 5, settings=corpus_index)
    assert "40,000" in passages[0].text
    assert_exact(passages, corpus_index)


def test_bm25_finds_rare_exact_terms(fixture_index: Settings) -> None:
    passages = retrieve("166 hectares", 1, settings=fixture_index)
    assert "166 hectares" in passages[0].text


def test_results_are_diverse(fixture_index: Settings) -> None:
    passages = retrieve("prison", 5, settings=fixture_index)
    assert len({p.id for p in passages}) == len(passages)
    for a in passages:
        for b in passages:
            if a is not b and a.source_id == b.source_id:
                assert not (a.start == b.start and a.end == b.end)


def test_source_filter_and_min_score(fixture_index: Settings) -> None:
    only = retrieve("deaths in custody", 5, sources=["safety-gains"], settings=fixture_index)
    assert only and {p.source_id for p in only} == {"safety-gains"}
    best = retrieve("deaths in custody", 5, settings=fixture_index)
    top = max(p.score for p in best)
    high = retrieve("deaths in custody", 5, min_score=top, settings=fixture_index)
    assert high and all(p.score >= top for p in high)
    assert len(high) < len(best)
    scores = [p.score for p in retrieve("deaths in custody", 5, settings=fixture_index)]
    assert all(-1 <= x <= 1 for x in scores)


@pytest.mark.parametrize("query", ["", "   ", "\n\t", "?!...", None, 42])
def test_bad_queries_are_rejected(fixture_index: Settings, query: Any) -> None:
    with pytest.raises(InputError):
        retrieve(query, settings=fixture_index)


@pytest.mark.parametrize("k", [0, -1, 10_000, "five", 2.5])
def test_bad_k_is_rejected(fixture_index: Settings, k: Any) -> None:
    with pytest.raises(InputError, match="k"):
        retrieve("prison", k, settings=fixture_index)


def test_unknown_source_filter(fixture_index: Settings) -> None:
    with pytest.raises(NotFoundError, match="no-such"):
        retrieve("prison", sources=["no-such"], settings=fixture_index)


def test_retriever_returns_documents_with_offsets(fixture_index: Settings) -> None:
    docs = BotRetriever(k=2, settings=fixture_index).invoke("homicide rate")
    assert len(docs) == 2
    for doc in docs:
        assert (
            source_text(doc.metadata["source_id"], fixture_index)[doc.metadata["start"] : doc.metadata["end"]]
            == doc.page_content
        )


_LC_SETTINGS: dict[str, Settings] = {}


@pytest.fixture(autouse=False)
def _lc_index(fixture_index: Settings) -> None:
    _LC_SETTINGS["s"] = fixture_index


@pytest.mark.usefixtures("_lc_index")
class TestLangChainStandard(RetrieversIntegrationTests):
    """LangChain's own standard retriever tests, against the real index."""

    @property
    def retriever_constructor(self) -> type[BotRetriever]:
        return BotRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"settings": _LC_SETTINGS["s"]}

    @property
    def retriever_query_example(self) -> str:
        return "How many inmates can the prison hold?"


@pytest.mark.parametrize("query", ["deaths in custody", "homicide rate fell"])
def test_contested_topics_draw_on_several_sources(corpus_index: Settings, query: str) -> None:
    passages = retrieve(query, 5, settings=corpus_index)
    assert len({p.source_id for p in passages}) >= 2
    assert_exact(passages, corpus_index)


def test_index_vectors_are_the_stored_ones_and_a_damaged_file_says_rebuild(tmp_path: Any) -> None:
    import numpy as np

    from bot.errors import StoreError
    from bot.ingest import ingest
    from bot.manifest import load_manifest, vectors_path
    from bot.retrieval import clear_cache, passage_vectors
    from tests.conftest import make_settings

    s = make_settings(tmp_path / "data")
    ingest(settings=s)
    passages = retrieve("How many inmates can CECOT hold?", 5, settings=s)
    got = passage_vectors(passages, s)
    manifest = load_manifest(s)
    for passage, row in zip(passages, got, strict=True):
        ids = [p[0] for p in manifest.sources[passage.source_id]["passages"]]
        stored = np.load(vectors_path(s, passage.source_id))[ids.index(passage.id)]
        assert np.array_equal(row, stored)

    victim = sorted(manifest.sources)[-1]
    stored = np.load(vectors_path(s, victim))
    np.save(vectors_path(s, victim), stored[:, :100])  # a vector file of another width
    clear_cache()
    with pytest.raises(StoreError, match="ingest --rebuild"):
        retrieve("CECOT", 5, settings=s)


@pytest.mark.parametrize("sources", [None, ["ap-el-salvador-homicides-2024", "hrw-we-can-arrest-anyone-2022"]])
def test_exact_in_memory_ranking_matches_chromas(corpus_index: Settings, sources: list[str] | None) -> None:
    """Below BOT_RETRIEVAL_EXACT_MAX the dense ranking is an exact search of the vectors in memory; Chroma's
    HNSW query (BOT_RETRIEVAL_EXACT_MAX=0) must give the same passages on the shipped corpus, with or without a
    source filter."""
    from bot.retrieval import _dense, _load_index

    chroma = corpus_index.model_copy(update={"retrieval_exact_max": 0})
    index = _load_index(corpus_index)
    allowed = None if sources is None else np.concatenate([index.rows_by_source[s] for s in sources])
    for query in ("How many inmates can CECOT hold?", "deaths in custody", "homicide count 2024", "tourism"):
        qvec = embed_query(query, corpus_index)
        exact = _dense(qvec, 30, sources, allowed, index, corpus_index)
        assert len(exact) == (30 if sources is None else min(30, len(allowed)))
        assert exact == _dense(qvec, 30, sources, allowed, index, chroma)
        assert [p.id for p in retrieve(query, 5, sources=sources, settings=corpus_index)] == [
            p.id for p in retrieve(query, 5, sources=sources, settings=chroma)
        ]


def test_a_name_typed_without_its_accents_is_a_known_word(corpus_index: Settings) -> None:
    from bot.retrieval import unknown_terms
    from bot.text import tokenize

    assert tokenize("Hernández, Jurídico, Marroquín") == tokenize("hernandez, juridico, marroquin")
    # The index writes "Hernández": the plain spelling is one of its words, and BM25 finds his source by it.
    assert unknown_terms("what does hernandez argue about reelection", corpus_index) == []
    hits = retrieve("hernandez", k=3, settings=corpus_index)
    assert hits and hits[0].source_id == "hernandez-reelection-unconstitutional-2025"


def test_filler_and_hidden_stop_words_are_not_unknown_terms(corpus_index: Settings) -> None:
    from bot.retrieval import unknown_terms

    typed = "whats the 1st thing cecot actually does w/ something like zebras"
    unknown = unknown_terms(typed, corpus_index)
    assert unknown == ["zebra"], unknown  # the one word of the question that no source uses, and only it
