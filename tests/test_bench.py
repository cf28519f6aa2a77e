"""Smoke tests of ``python -m tools.bench`` (``make bench``) and ``python -m bot eval``: the JSON has the fields
and sane values.

Speed is never asserted here (STYLE.md habit 8): the numbers come from ``make bench``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.__main__ import main as bot_main
from bot.errors import InputError
from bot.settings import Settings
from tools.bench import TARGETS, load_shipped, main, make_corpus, make_queries, parse_sizes

from .conftest import SHIPPED_CORPUS, make_settings


def test_bench_smoke_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    code = main(["--sizes", "100", "--skip-app", "--no-torch", "--queries", "5", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "retrieve ours/floor" in printed and str(out) in printed
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["complete"] is True

    machine = result["machine"]
    assert machine["cores"] >= 1 and machine["python"].count(".") == 2
    for lib in ("torch", "onnxruntime", "sentence-transformers", "chromadb", "langchain-core", "gradio"):
        assert machine["libraries"][lib], lib

    size = result["sizes"]["100"]
    assert "error" not in size, size
    assert size["passages"] == 100 and size["sources"] >= 1
    ingest = size["ingest"]
    assert ingest["passages_per_s"] > 0 and ingest["bare_encode_passages_per_s"] > 0 and ingest["ratio_vs_bare"] > 0
    assert ingest["onnx_encode_passages_per_s"] > 0 and size["backend"] == "onnx"
    assert ingest["torch_ingest"] is None and ingest["ratio_vs_torch_ingest"] is None  # --no-torch
    assert size["reingest_s"] >= 0
    retrieve = size["retrieve_ms"]
    for name in ("ours", "floor", "langchain"):
        assert retrieve[name]["n"] == 5
        assert 0 < retrieve[name]["p50"] <= retrieve[name]["p95"] <= retrieve[name]["max"]
    assert retrieve["ratio_p50_vs_floor"] > 0 and retrieve["ratio_p50_vs_langchain"] > 0
    assert "torch_embed" not in retrieve and retrieve["ratio_p50_vs_torch_embed"] is None  # --no-torch
    assert size["ask_ms"]["n"] == 5 and 0 < size["ask_ms"]["p50"] <= size["ask_ms"]["p95"]
    assert 0 <= size["ask_ms"]["refused"] <= 5
    assert 100 < size["rss_mb"]["peak"] < 100_000
    assert {"ingest", "warm", "retrieve", "ask"} <= set(size["rss_mb"]["by_phase"])

    shipped = result["shipped"]
    assert shipped["passages"] > 100 and shipped["reingest_s"] >= 0
    assert shipped["retrieve_ms"]["ours"]["n"] == 5 and shipped["retrieve_ms"]["ratio_p50_vs_floor"] > 0
    assert shipped["torch_ingest_s"] is None
    assert result["app"]["cold_start_s"] is None and "--skip-app" in result["app"]["reason"]
    assert result["app"]["concurrency"] is None

    stance = result["stance"]  # the favour encoder against the embedding model, same sentences, same run
    assert stance["passages"] == 50 and stance["ms_per_passage"] > 0 and stance["ratio_vs_embedding"] > 0

    targets = {(t["target"], t["size"]): t for t in result["targets"]}
    assert {name for name, _ in targets} == set(TARGETS)
    assert targets[("ask_p50_ms", 100)]["pass"] in (True, False)
    assert targets[("retrieve_p50_vs_floor", 100_000)]["bound"] == "<= 1.3"
    assert targets[("retrieve_p50_vs_floor", 100_000)]["pass"] is None  # not measured in this run
    assert targets[("shipped_retrieve_vs_torch_embed", None)]["pass"] is None  # --no-torch
    assert targets[("app_start_vs_torch_load", None)]["value"] is None  # --skip-app
    assert targets[("shipped_reingest_s", None)]["value"] == shipped["reingest_s"]
    assert targets[("favour_ms_per_passage", None)]["value"] == stance["ms_per_passage"]


def test_synthetic_corpus_is_deterministic_and_exact(tmp_path: Path) -> None:
    base = make_settings(tmp_path / "unused", SHIPPED_CORPUS)
    shipped = load_shipped(base)
    first = make_corpus(150, tmp_path / "a", base, shipped)
    again = make_corpus(150, tmp_path / "b", base, shipped)
    assert len(first) == 150 and first == again
    assert len(set(first)) > 140  # recombined, not copied
    queries = make_queries(300, shipped)
    assert len(queries) == len(set(queries)) == 300


def test_bad_sizes_are_user_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_sizes("1000, 10k,100_000") == [1000, 10_000, 100_000]
    with pytest.raises(InputError):
        parse_sizes("lots")
    assert main(["--sizes", "0"]) == 2
    assert "--sizes" in capsys.readouterr().err


def test_eval_smoke(fixture_index: Settings, use_env: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evalset = {
        "questions": [
            {
                "id": "t-q1",
                "question": "How many inmates does the new prison have room for?",
                "type": "factual",
                "gold_sources": ["prison-capacity"],
                "answer": "40,000",
                "split": "dev",
            },
            {
                "id": "t-q2",
                "question": "How many deaths of detainees in custody did the monitors count?",
                "type": "factual",
                "gold_sources": ["rights-report"],
                "answer": "153",
                "split": "test",
            },
            {
                "id": "t-q3",
                "question": "What does a kilowatt-hour of electricity cost in Norway?",
                "type": "unanswerable",
                "split": "test",
            },
            {
                "id": "t-q4",
                "question": "How many inmates did the new prison hold in 1990?",
                "type": "unanswerable",
                "near_miss": True,
                "split": "test",
            },
        ]
    }
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(evalset, sort_keys=False), encoding="utf-8")
    use_env(fixture_index)
    assert bot_main(["eval", "--set", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n_questions"] == 4 and result["n_factual"] == 2 and result["n_unanswerable"] == 2
    assert result["ours"]["n_near_miss"] == 1 and result["ours"]["near_miss_recall"] in (0.0, 1.0)
    for key in ("recall@1", "recall@5", "mrr", "answer_accuracy", "citation_precision", "refusal_accuracy"):
        assert 0.0 <= result["ours"][key] <= 1.0, key
    assert 0.0 <= result["baseline"]["recall@5"] <= 1.0
    assert result["ask_ms_p50"] > 0


def test_scale_bench_generates_unit_vectors_near_the_real_sentences_they_hash_to(tmp_path: Path) -> None:
    import numpy as np

    from bot.chunking import chunk_document
    from bot.sources import read_source
    from tools.bench_scale import synthetic_embedder

    base = make_settings(tmp_path / "unused", SHIPPED_CORPUS)
    make_corpus(60, tmp_path / "c", base, load_shipped(base))
    docs = [read_source(path, base) for path in sorted((tmp_path / "c").glob("*.md"))]
    group = [(doc, None, chunk_document(doc, base)) for doc in docs]
    rng = np.random.default_rng(0)
    real = rng.normal(size=(50, 384)).astype(np.float32)
    real /= np.linalg.norm(real, axis=1, keepdims=True)
    vectors, candidates, sentence_vectors = synthetic_embedder(real)(group, base)
    assert vectors.shape == (60, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert candidates == [[] for _ in group] and sentence_vectors.shape == (0, 384)
    # Each vector sits near a sum of real vectors (cosine to its best real vector well above chance, ~0.05 here).
    assert float(np.median((vectors @ real.T).max(axis=1))) > 0.3
