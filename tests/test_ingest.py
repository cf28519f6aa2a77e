"""Ingest: incremental, idempotent, manifest and Chroma always agree."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.errors import IngestLockedError, NotFoundError
from bot.ingest import ingest, ingest_lock, remove_source
from bot.manifest import list_sources, load_manifest, source_text
from bot.settings import Settings
from bot.store import get_collection

from .conftest import FIXTURE_CORPUS, make_settings


def _copy_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, folder)
    return folder


def assert_store_matches_manifest(s: Settings) -> None:
    """Every manifest passage is in Chroma exactly once, and Chroma holds nothing else."""
    manifest = load_manifest(s)
    expected = {p[0] for entry in manifest.sources.values() for p in entry["passages"]}
    stored = get_collection(s).get(include=[])["ids"]
    assert len(stored) == len(set(stored))
    assert set(stored) == expected
    assert not manifest.pending
    for sid, entry in manifest.sources.items():
        text = source_text(sid, s)
        for _pid, start, end, _page in entry["passages"]:
            assert 0 <= start < end <= len(text)


def test_ingest_is_incremental(tmp_path: Path) -> None:
    corpus = _copy_corpus(tmp_path)
    s = make_settings(tmp_path / "data", corpus)
    first = ingest(settings=s)
    assert sorted(first.added) == ["prison-capacity", "rights-report", "safety-gains"]
    assert first.passages_embedded > 0 and not first.failed
    assert_store_matches_manifest(s)

    again = ingest(settings=s)
    assert again.added == again.updated == again.removed == []
    assert sorted(again.unchanged) == sorted(first.added)
    assert again.passages_embedded == 0
    assert_store_matches_manifest(s)

    # Editing one file re-embeds only that file.
    path = corpus / "safety-gains.txt"
    path.write_text(path.read_text() + "\nA new closing sentence was added by the editor.\n")
    edited = ingest(settings=s)
    assert edited.updated == ["safety-gains"]
    assert sorted(edited.unchanged) == ["prison-capacity", "rights-report"]
    assert "A new closing sentence" in source_text("safety-gains", s)
    assert_store_matches_manifest(s)

    # Deleting a file removes its passages.
    (corpus / "rights-report.md").unlink()
    removed = ingest(settings=s)
    assert removed.removed == ["rights-report"]
    assert "rights-report" not in {x.id for x in list_sources(s)}
    assert_store_matches_manifest(s)


def test_explicit_paths_and_failures_are_reported(tmp_path: Path) -> None:
    s = make_settings(tmp_path / "data", tmp_path / "no-corpus")
    good = tmp_path / "good.txt"
    good.write_text("A short source about prisons. It has two sentences.")
    empty = tmp_path / "empty.md"
    empty.write_text("")
    report = ingest([good, empty, tmp_path / "missing.pdf"], settings=s)
    assert report.added == ["good"]
    assert set(report.failed) == {str(empty.resolve()), str(tmp_path / "missing.pdf")}
    assert "empty" in report.failed[str(empty.resolve())]
    assert_store_matches_manifest(s)


def test_id_collision_is_refused_not_overwritten(tmp_path: Path) -> None:
    s = make_settings(tmp_path / "data", tmp_path / "none")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "notes.txt").write_text("First notes file about gangs.")
    (tmp_path / "b" / "notes.txt").write_text("Second notes file about prisons.")
    report = ingest([tmp_path / "a" / "notes.txt", tmp_path / "b" / "notes.txt"], settings=s)
    assert report.added == ["notes"]
    assert "already used" in next(iter(report.failed.values()))
    assert source_text("notes", s) == "First notes file about gangs."


def test_remove_source_and_unknown_id(tmp_path: Path) -> None:
    corpus = _copy_corpus(tmp_path)
    s = make_settings(tmp_path / "data", corpus)
    ingest(settings=s)
    remove_source("rights-report", settings=s)
    assert (corpus / "rights-report.md").exists(), "a corpus file is excluded, never deleted"
    assert "rights-report" not in {x.id for x in list_sources(s)}
    assert "rights-report" not in ingest(settings=s).added, "an excluded corpus file stays out"
    assert_store_matches_manifest(s)
    with pytest.raises(NotFoundError, match="No ingested source"):
        remove_source("no-such-source", settings=s)
    with pytest.raises(NotFoundError):
        source_text("no-such-source", s)


def test_second_ingest_fails_clearly_while_locked(tmp_path: Path) -> None:
    s = make_settings(tmp_path / "data", _copy_corpus(tmp_path), ingest_lock_timeout=0.2)
    with ingest_lock(s), pytest.raises(IngestLockedError, match="Another ingest is running"):
        ingest(settings=s)


def test_model_change_reembeds_everything(tmp_path: Path) -> None:
    corpus = _copy_corpus(tmp_path)
    ingest(settings=make_settings(tmp_path / "data", corpus))
    rechunked = make_settings(tmp_path / "data", corpus, chunk_max_sentences=1, chunk_overlap=0)
    report = ingest(settings=rechunked)
    assert sorted(report.added) == ["prison-capacity", "rights-report", "safety-gains"]
    assert_store_matches_manifest(rechunked)


def _stored_vectors(s: Settings, source_id: str) -> tuple[list[tuple[int, int]], Any, Any, Any]:
    """Return a source's passage spans and vectors, and its candidate sentence spans and vectors, as stored."""
    import numpy as np

    from bot.grounding import sentences_path
    from bot.manifest import vectors_path

    entry = load_manifest(s).sources[source_id]
    with np.load(sentences_path(s, source_id)) as data:
        spans, sentence_vectors = data["spans"], data["vectors"]
    passages = [(start, end) for _, start, end, _ in entry["passages"]]
    return passages, np.load(vectors_path(s, source_id)), spans, sentence_vectors


def test_passages_are_pooled_from_their_sentences_and_sentences_keep_their_own_vectors(tmp_path: Path) -> None:
    import numpy as np

    from bot.embeddings import embed_texts, get_model, pools_by_mean
    from bot.text import split_sentences

    s = make_settings(tmp_path / "data")
    ingest(settings=s)
    model = get_model(s)
    assert pools_by_mean(model)  # the shipped model: the pooled path is the one in use
    for info in list_sources(s):
        text = source_text(info.id, s)
        passages, passage_vectors, spans, sentence_vectors = _stored_vectors(s, info.id)
        # Candidate sentences: exactly a bare encode of each sentence.
        bare = embed_texts([text[a:b] for a, b in spans], s)
        assert np.allclose(sentence_vectors, bare, atol=1e-5)
        # Passages: the mean of their sentences' token vectors, computed here through the public encode API.
        sentences = split_sentences(text)
        tokens = model.encode([text[a:b] for a, b in sentences], output_value="token_embeddings")
        for (start, end), stored in zip(passages, passage_vectors, strict=True):
            inside = [t for (a, b), t in zip(sentences, tokens, strict=True) if a >= start and b <= end]
            expected = np.concatenate([t.numpy() for t in inside]).mean(axis=0)
            assert np.allclose(stored, expected / np.linalg.norm(expected), atol=1e-5)
        # And they stay close to a bare encode of the passage text (what retrieval quality rests on).
        whole = embed_texts([text[a:b] for a, b in passages], s)
        assert float(np.min(np.sum(whole * passage_vectors, axis=1))) > 0.75


def test_a_model_that_does_not_pool_by_mean_embeds_passages_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    import bot.embeddings
    from bot.embeddings import embed_texts

    monkeypatch.setattr(bot.embeddings, "pools_by_mean", lambda model: False)  # as for a CLS-pooling model
    s = make_settings(tmp_path / "data")
    ingest(settings=s)
    for info in list_sources(s):
        text = source_text(info.id, s)
        passages, passage_vectors, spans, sentence_vectors = _stored_vectors(s, info.id)
        assert np.allclose(passage_vectors, embed_texts([text[a:b] for a, b in passages], s), atol=1e-5)
        assert np.allclose(sentence_vectors, embed_texts([text[a:b] for a, b in spans], s), atol=1e-5)
