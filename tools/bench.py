"""``make bench`` (``python -m tools.bench``): speed measured against baselines in the same run, printed and saved
as JSON.

For each corpus size a child process (so each size's peak RSS is its own) builds a synthetic corpus from the
shipped one, ingests it and measures, on the same passages and the same machine:

- ingest throughput through ``bot.ingest.ingest`` vs bare ``SentenceTransformer.encode`` of the passage texts;
- ``retrieve()`` latency vs the floor (query embedding + raw Chroma ``collection.query``) and vs vanilla LangChain
  (``Chroma.from_documents`` + ``similarity_search``), the paths in alternating blocks of queries;
- extractive ``ask()`` latency on questions not asked before (query embeddings are cached);
- peak RSS of our phases (ingest, re-ingest, a warm index) sampled with psutil.

The parent also times a re-ingest of the shipped corpus, the app's cold start to a first answer and 20 concurrent
chat sessions through ``gradio_client``. Speed is never asserted in tests: targets are reported pass/fail here.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import BotError, InputError
from bot.settings import PROJECT_DIR, Settings
from bot.types import IngestReport

DEFAULT_SIZES = (1_000, 10_000, 100_000)
TORCH_INGEST_MAX = 1_000
"""Sizes up to this also ingest on PyTorch (the baseline for ingest speed); beyond, it would take most of the run."""
RESULTS_DIR = PROJECT_DIR / "bench" / "results"
SEED = 20240326
SENTENCES_PER_SOURCE = 100
"""About 50 passages a synthetic source (three-sentence passages overlapping by one)."""
K = 5
BARE_SAMPLE = 5_000
"""Bare encode is timed on the passages of a seeded sample of whole sources, about this many: a throughput, so
there is no need to embed all 100,000 passages a second time."""
MOTION = "El Salvador's mass-incarceration policy, symbolised by CECOT, is justified"
SESSIONS = 20
TURNS_PER_SESSION = 3
LIBRARIES = (
    "torch",
    "onnxruntime",
    "tokenizers",
    "sentence-transformers",
    "transformers",
    "chromadb",
    "langchain-core",
    "langchain-chroma",
    "bm25s",
    "numpy",
    "gradio",
    "gradio-client",
)
TARGETS: dict[str, dict[str, Any]] = {
    "retrieve_p50_vs_floor": {"max": 1.3, "sizes": [100_000], "what": "retrieve p50 / floor p50 (ONNX query)"},
    "retrieve_p50_vs_torch_embed": {
        "max": 0.6,
        "sizes": [10_000],
        "what": "retrieve p50 / PyTorch query embedding alone p50",
    },
    "shipped_retrieve_vs_torch_embed": {
        "max": 0.6,
        "what": "retrieve p50 / PyTorch query embedding alone p50, on the shipped corpus",
    },
    "ingest_vs_torch_ingest": {"min": 1.5, "what": "ingest passages/s / the same ingest on PyTorch"},
    "shipped_ingest_vs_torch_ingest": {"min": 1.5, "what": "shipped corpus: ingest passages/s / the same on PyTorch"},
    "ingest_vs_bare_encode": {"min": 0.9, "what": "ingest passages/s / PyTorch bare encode passages/s"},
    "app_start_vs_torch_load": {
        "max": 1.0,
        "what": "app start to first answer / a fresh process importing sentence-transformers and loading the model",
    },
    "app_start_s": {
        "max": 3.0,
        "what": "app start to first answer (the start page's /api/ask), seconds (wall; noisy on a shared machine)",
    },
    "first_brief_s": {"max": 2.0, "what": "the first /brief after the app's first answer, seconds"},
    "shipped_reingest_s": {"max": 1.0, "what": "re-ingest of the unchanged shipped corpus, seconds"},
    "ask_p50_ms": {"max": 60.0, "what": "extractive ask() p50, warm, ms"},
    "rss_peak_mb": {"max": 1536.0, "sizes": [100_000], "what": "peak RSS of ingest + warm index, MB"},
    "favour_ms_per_passage": {"max": 5.0, "what": "the stance model's favour encoder, batched, ms per sentence"},
}

Say = Callable[[str], None]


def _quiet(_msg: str) -> None:
    pass


def _summary(values_s: list[float]) -> dict[str, float | int]:
    """Return p50/p95/mean/max in milliseconds of durations given in seconds."""
    import numpy as np

    if not values_s:
        return {"n": 0}
    ms = np.asarray(values_s) * 1000
    return {
        "n": len(values_s),
        "p50": round(float(np.percentile(ms, 50)), 2),
        "p95": round(float(np.percentile(ms, 95)), 2),
        "mean": round(float(ms.mean()), 2),
        "max": round(float(ms.max()), 2),
    }


# --- synthetic corpus ---------------------------------------------------------------------------------------


@dataclass
class Shipped:
    """The shipped corpus as raw material: its sentences and its sources' provenance."""

    sentences: list[str]
    metas: list[dict[str, str]]


def load_shipped(settings: Settings) -> Shipped:
    """Read the shipped corpus with ``read_source`` and keep its real sentences."""
    from bot.ingest import discover
    from bot.sources import read_source
    from bot.text import split_sentences

    origins, _, _ = discover([settings.corpus_dir])
    sentences: list[str] = []
    metas: list[dict[str, str]] = []
    for origin in origins:
        doc = read_source(origin, settings)
        metas.append(doc.meta)
        for start, end in split_sentences(doc.text):
            text = doc.text[start:end]
            if 40 <= len(text) <= 400 and re.search(r"[^\W\d_]{3}", text) and text[-1] in ".!?\"”')":
                sentences.append(text)
    if not sentences:
        raise InputError(f"No usable sentences in the corpus at {settings.corpus_dir}.", "Point it at the corpus/.")
    return Shipped(sentences, metas)


def _perturb(sentence: str, pool: list[str], rng: random.Random) -> str:
    """Return a new real-looking sentence: another clause spliced in, figures changed, a word swapped."""
    if rng.random() < 0.35:
        other = rng.choice(pool)
        a, b = sentence.find(", "), other.find(", ")
        if a > 15 and b > 0 and len(other) - b > 20:
            sentence = sentence[:a] + other[b:]
    if rng.random() < 0.6:
        sentence = re.sub(
            r"\d+",
            lambda m: str(
                rng.randint(10 ** (len(m.group()) - 1) if len(m.group()) > 1 else 1, 10 ** len(m.group()) - 1)
            ),
            sentence,
        )
    words = sentence.split(" ")
    if len(words) > 6 and rng.random() < 0.5:
        i, j = rng.sample(range(1, len(words) - 1), 2)
        if words[i].isalpha() and words[j].isalpha() and words[i].islower() and words[j].islower():
            words[i], words[j] = words[j], words[i]
    return " ".join(words)


def _source_file(meta: dict[str, str], number: int, sentences: list[str]) -> str:
    import yaml

    front = {
        "title": f"{meta.get('title', 'Source')} (synthetic {number})",
        "publisher": meta.get("publisher", "Bench Desk"),
        "author": meta.get("author", ""),
        "date": meta.get("date", ""),
        "url": f"https://example.org/bench/{number:06d}",
        "kind": meta.get("kind", "news"),
        "leaning": meta.get("leaning", "mixed"),
    }
    front = {k: v for k, v in front.items() if v}
    paragraphs: list[str] = []
    i = 0
    while i < len(sentences):
        step = 2 + (number + i) % 4
        paragraphs.append(" ".join(sentences[i : i + step]))
        i += step
    head = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=10_000)
    return f"---\n{head}---\n# {front['title']}\n\n" + "\n\n".join(paragraphs) + "\n"


def make_corpus(n_passages: int, folder: Path, settings: Settings, shipped: Shipped, seed: int = SEED) -> list[str]:
    """Write synthetic sources into ``folder`` holding exactly ``n_passages`` passages; return their texts."""
    from bot.chunking import chunk_document
    from bot.sources import read_source

    rng = random.Random(seed + n_passages)
    folder.mkdir(parents=True, exist_ok=True)
    texts: list[str] = []
    number = 0

    def write(path: Path, meta: dict[str, str], sentences: list[str]) -> list[str]:
        path.write_text(_source_file(meta, number, sentences), encoding="utf-8")
        return [c.text for c in chunk_document(read_source(path, settings), settings)]

    while len(texts) < n_passages:
        number += 1
        path = folder / f"bench-{number:06d}.md"
        meta = rng.choice(shipped.metas)
        sentences = [
            _perturb(rng.choice(shipped.sentences), shipped.sentences, rng) for _ in range(SENTENCES_PER_SOURCE)
        ]
        chunks = write(path, meta, sentences)
        remaining = n_passages - len(texts)
        if len(chunks) > remaining:  # the last source: the most sentences that do not overshoot
            lo, hi = 1, len(sentences)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if len(write(path, meta, sentences[:mid])) <= remaining:
                    lo = mid
                else:
                    hi = mid - 1
            chunks = write(path, meta, sentences[:lo])
        texts.extend(chunks)
    return texts


_QUESTION_WORDS = re.compile(r"[A-Za-z][A-Za-z-]{3,}")
_TEMPLATES = (
    "What do the sources say about {a} and {b}?",
    "How many {a} {b} were reported?",
    "Why did {a} matter for {b} {c}?",
    "What happened to {a} after the {b}?",
    "Who said that {a} {b} {c}?",
    "When did {a} {b} begin?",
)


def make_queries(n: int, shipped: Shipped, seed: int = SEED) -> list[str]:
    """Return n distinct questions: the eval set's, then template questions over the corpus's own words."""
    from bot.text import tokenize

    rng = random.Random(seed)
    out: dict[str, None] = {}
    with contextlib.suppress(BotError, OSError):
        from bot.evalset import load_eval

        questions = [q.question for q in load_eval().questions]
        rng.shuffle(questions)
        out.update(dict.fromkeys(questions))
    while len(out) < n:
        sentence = rng.choice(shipped.sentences)
        words = [w for w in _QUESTION_WORDS.findall(sentence) if tokenize(w)]
        if len(words) < 3:
            continue
        a, b, c = rng.sample(words, 3)
        out[rng.choice(_TEMPLATES).format(a=a, b=b.lower(), c=c.lower())] = None
    return list(out)[:n]


# --- one size, in a child process --------------------------------------------------------------------------


class RssSampler:
    """Sample this process's RSS every few milliseconds and keep the peak of each named phase."""

    def __init__(self, interval: float = 0.02) -> None:
        import psutil

        self._proc = psutil.Process()
        self._interval = interval
        self._phase = "start"
        self.peaks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        rss = int(self._proc.memory_info().rss)
        phase = self._phase
        if rss > self.peaks.get(phase, 0):
            self.peaks[phase] = rss

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._sample()

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Attribute samples taken inside the block to ``name``."""
        self._sample()
        self._phase = name
        self._sample()
        try:
            yield
        finally:
            self._sample()
            self._phase = "between"

    def stop(self) -> dict[str, float]:
        """Stop sampling; return the peaks in MB."""
        self._stop.set()
        self._thread.join()
        return {k: round(v / 2**20, 1) for k, v in self.peaks.items()}


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def run_size(
    n_passages: int, work: Path, *, n_queries: int = 100, say: Say = _quiet, with_torch: bool = True
) -> dict[str, Any]:
    """Measure everything for one corpus size inside ``work``; return the JSON-ready result."""
    sampler = RssSampler()
    result: dict[str, Any] = {"passages": n_passages, "load_before": _load()}
    base = Settings(_env_file=None, corpus_dir=PROJECT_DIR / "corpus")  # type: ignore[call-arg]
    shipped = load_shipped(base)
    say(f"{n_passages:,} passages: writing the synthetic corpus")
    gen_s, texts = _timed(lambda: make_corpus(n_passages, work / "corpus", base, shipped))
    n_texts, warm_texts = len(texts), texts[:64]
    del texts  # the generator's copy of every passage is the bench's memory, not ours: keep it out of peak RSS
    result["sources"] = len(list((work / "corpus").glob("*.md")))
    result["generate_s"] = round(gen_s, 2)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=work / "data", corpus_dir=work / "corpus", llm="extractive"
    )
    queries = make_queries(2 * n_queries + 10, shipped)
    warm_q, retrieve_q, ask_q = queries[:10], queries[10 : 10 + n_queries], queries[10 + n_queries :]

    from bot.answer import ask
    from bot.embeddings import backend, get_encoder
    from bot.retrieval import retrieve

    encoder = get_encoder(settings)
    encoder.encode(warm_texts, settings.embedding_batch_size)  # warm-up
    result["backend"] = backend(settings)

    report, again, on_torch = _ingests(settings, work, sampler, n_texts, with_torch, say)
    with sampler.phase("warm"):
        index_s, _ = _timed(lambda: retrieve(warm_q[0], K, settings=settings))
        for q in warm_q:
            retrieve(q, K, settings=settings)
            ask(q, settings=settings)
    result["index_load_s"] = round(index_s, 3)
    result["reingest_s"] = round(again.seconds, 3)
    result["ingest"] = _ingest_speed(settings, encoder, sampler, report, n_texts, warm_texts, on_torch, with_torch, say)

    say(f"{n_passages:,} passages: vanilla LangChain store")
    with sampler.phase("baseline_build"):
        build_s, store = _timed(lambda: _langchain_store(settings, work / "langchain"))
    result["langchain_build_s"] = round(build_s, 2)

    say(f"{n_passages:,} passages: retrieve x{len(retrieve_q)} (ours / floor / LangChain, in alternating blocks)")
    with sampler.phase("retrieve"):
        result["retrieve_ms"] = retrieve_latency(settings, store, warm_q, retrieve_q, with_torch=with_torch)
    say(f"{n_passages:,} passages: ask x{len(ask_q)} (extractive, new questions)")
    with sampler.phase("ask"):
        result["ask_ms"] = ask_latency(settings, ask_q)
    peaks = sampler.stop()
    result["rss_mb"] = {
        "peak": max(peaks.get(p, 0.0) for p in ("ingest", "reingest", "warm")),
        "peak_is": "max RSS over ingest, re-ingest and a warm index (before the baselines are built)",
        "by_phase": peaks,
    }
    result["torch_threads"] = _torch_threads()
    result["load_after"] = _load()
    return result


def _ingests(
    settings: Settings, work: Path, sampler: RssSampler, n_texts: int, with_torch: bool, say: Say
) -> tuple[IngestReport, IngestReport, dict[str, Any] | None]:
    """Ingest, the same ingest on PyTorch (small sizes), and a re-ingest; return both reports and the PyTorch one."""
    from bot.embeddings import backend
    from bot.ingest import ingest

    say(f"{n_texts:,} passages: ingest ({backend(settings)})")
    with sampler.phase("ingest"):
        report = ingest(settings=settings)
    if report.failed or report.passages_embedded != n_texts:
        raise BotError(f"The bench ingest went wrong: {report.failed or report.passages_embedded}.", "Report a bug.")
    on_torch: dict[str, Any] | None = None
    if with_torch and n_texts <= TORCH_INGEST_MAX:  # the same ingest on PyTorch, as it ran before ONNX Runtime
        say(f"{n_texts:,} passages: the same ingest on PyTorch")
        torch_settings = settings.model_copy(update={"data_dir": work / "data-torch", "embed_backend": "torch"})
        with sampler.phase("torch_ingest"):
            t_report = ingest(settings=torch_settings)
        on_torch = {"seconds": round(t_report.seconds, 2), "passages_per_s": round(n_texts / t_report.seconds, 1)}
    with sampler.phase("reingest"):
        again = ingest(settings=settings)
    return report, again, on_torch


def _ingest_speed(
    settings: Settings,
    encoder: Any,
    sampler: RssSampler,
    report: IngestReport,
    n_texts: int,
    warm_texts: list[str],
    on_torch: dict[str, Any] | None,
    with_torch: bool,
    say: Say,
) -> dict[str, Any]:
    """Time bare encodes of a sample of the passages and of their sentences; return the ingest's figures."""
    from bot.embeddings import get_model

    sample, sentences = _bare_sample(settings)
    say(f"{n_texts:,} passages: bare encode of {len(sample):,} of them, then of their {len(sentences):,} sentences")
    # PyTorch sentence-transformers: the baseline ingest ran on before ONNX Runtime (or, --no-torch, the backend in use)
    model = get_model(settings) if with_torch else None
    if model is not None:
        model.encode(warm_texts, batch_size=settings.embedding_batch_size, show_progress_bar=False)  # warm-up
    with sampler.phase("bare_encode"):
        bare_s = _timed(
            lambda: _encode(model, sample, settings) if model else encoder.encode(sample, settings.embedding_batch_size)
        )[0]
        onnx_s = _timed(lambda: encoder.encode(sample, settings.embedding_batch_size))[0]
        bare_sent_s = _timed(lambda: encoder.encode(sentences, settings.embedding_batch_size))[0]
    ours_rate, bare_rate = n_texts / report.seconds, len(sample) / bare_s
    work_rate = len(sample) / bare_sent_s
    return {
        "seconds": round(report.seconds, 2),
        "passages_per_s": round(ours_rate, 1),
        "bare_encode_s": round(bare_s, 2),
        "bare_encode_passages": len(sample),
        "bare_encode_passages_per_s": round(bare_rate, 1),
        "bare_encode_is": "SentenceTransformer.encode of the sampled passages on PyTorch"
        + ("" if with_torch else " (--no-torch: on the backend in use)"),
        "ratio_vs_bare": round(ours_rate / bare_rate, 3),
        "onnx_encode_passages_per_s": round(len(sample) / onnx_s, 1),
        "ratio_vs_onnx_encode": round(ours_rate / (len(sample) / onnx_s), 3),
        "bare_encode_sentences": len(sentences),
        "bare_encode_sentences_s": round(bare_sent_s, 2),
        "ratio_vs_bare_work": round(ours_rate / work_rate, 3),
        "ratio_vs_bare_work_is": "ingest vs an encode, on the backend in use, of the texts ingest runs the model on: "
        "each sentence of the sampled sources once (passage vectors are pooled from them); 1.0 means no overhead",
        "torch_ingest": on_torch,
        "ratio_vs_torch_ingest": round(ours_rate / on_torch["passages_per_s"], 3) if on_torch else None,
    }


PAUSE_S = 0.3
"""Before each block of timed queries: long enough for the other library's worker threads to stop spinning."""


def retrieve_latency(
    settings: Settings, store: Any, warm_q: list[str], queries: list[str], *, with_torch: bool = True
) -> dict[str, Any]:
    """Time retrieve() vs the floor, the LangChain store (when given) and the query embedding alone on PyTorch
    (unless ``with_torch`` is false), in alternating blocks of queries (order rotated)."""
    from bot.embeddings import get_encoder, get_model
    from bot.retrieval import retrieve
    from bot.store import get_collection

    encoder = get_encoder(settings)
    model = get_model(settings) if with_torch else None
    collection = get_collection(settings)

    def floor(q: str) -> Any:
        return collection.query(query_embeddings=encoder.encode([q], 1), n_results=K)

    def torch_embed(q: str) -> Any:
        assert model is not None
        return model.encode([q], batch_size=1, normalize_embeddings=True, show_progress_bar=False)

    runners: dict[str, Callable[[str], Any]] = {
        "ours": lambda q: retrieve(q, K, settings=settings),
        "floor": floor,
        "langchain": lambda q: store.similarity_search(q, k=K),
        "torch_embed": torch_embed,
    }
    if store is None:
        del runners["langchain"]
    if model is None:
        del runners["torch_embed"]
    for name, run in runners.items():  # each path warm, on questions not measured below
        for q in warm_q[:3]:
            run(q + " " + name)
    times: dict[str, list[float]] = {name: [] for name in runners}
    names = list(runners)
    # In blocks of a quarter of the queries per path, the order of the paths rotated between rounds, with a pause
    # before each block: interleaved query by query, one library's idle worker threads (PyTorch's OpenMP pool, ONNX
    # Runtime's query session) still spin when the other's query starts, and each looks slower than it is alone.
    for turn in range(4):
        for name in names[turn % len(names) :] + names[: turn % len(names)]:
            time.sleep(PAUSE_S)
            for q in queries[turn::4]:
                t0 = time.perf_counter()
                runners[name](q)
                times[name].append(time.perf_counter() - t0)
    out: dict[str, Any] = {name: _summary(values) for name, values in times.items()}
    p50 = {name: float(out[name].get("p50", 0.0)) for name in runners}
    out.update(
        k=K,
        ratio_p50_vs_floor=round(p50["ours"] / p50["floor"], 3),
        ratio_p50_vs_torch_embed=round(p50["ours"] / p50["torch_embed"], 3) if "torch_embed" in p50 else None,
        floor_is="the query embedded on the backend in use + collection.query(n_results=k)",
        torch_embed_is="SentenceTransformer.encode(query) on PyTorch alone: the floor before ONNX Runtime",
    )
    if "langchain" in p50:
        out["ratio_p50_vs_langchain"] = round(p50["ours"] / p50["langchain"], 3)
    return out


def ask_latency(settings: Settings, queries: list[str]) -> dict[str, Any]:
    """Time extractive ask() on questions it has not seen (so their embeddings are not cached)."""
    from bot.answer import ask

    times: list[float] = []
    refused = 0
    inner: dict[str, list[float]] = {"retrieve_ms": [], "score_ms": []}
    for q in queries:
        t0 = time.perf_counter()
        answer = ask(q, settings=settings)
        times.append(time.perf_counter() - t0)
        refused += answer.refused
        for key, values in inner.items():
            values.append(float(answer.metrics.get(key, 0.0)))
    return {
        **_summary(times),
        "refused": refused,
        **{f"{key}_p50": round(statistics.median(v), 2) for key, v in inner.items() if v},
    }


def _encode(model: Any, texts: list[str], settings: Settings) -> Any:
    return model.encode(
        texts,
        batch_size=settings.embedding_batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )


def _bare_sample(settings: Settings) -> tuple[list[str], list[str]]:
    """Return the passages of a seeded sample of whole sources (about BARE_SAMPLE passages), and their sentences."""
    from bot.manifest import source_text
    from bot.retrieval import all_passages
    from bot.text import split_sentences

    by_source: dict[str, list[str]] = {}
    for p in all_passages(settings):
        by_source.setdefault(p.source_id, []).append(p.text)
    ids = sorted(by_source)
    random.Random(SEED).shuffle(ids)
    passages: list[str] = []
    sentences: list[str] = []
    for sid in ids:
        if len(passages) >= BARE_SAMPLE:
            break
        passages += by_source[sid]
        text = source_text(sid, settings)
        sentences += [text[a:b] for a, b in split_sentences(text)]
    return passages, sentences


def _langchain_store(settings: Settings, folder: Path) -> Any:
    """Build the vanilla LangChain store over the same passages, their vectors taken from our index, not re-embedded.

    Only the baseline's query path is timed, so embedding every passage a second time would add nothing but time
    (our passage vectors are pooled from sentences, not bare encodes, which changes what is found, not how fast).
    """
    import chromadb
    from langchain_chroma import Chroma

    from bot.embeddings import langchain_embeddings
    from bot.retrieval import all_passages, passage_vectors

    passages = all_passages(settings)
    texts = [p.text for p in passages]
    vectors = passage_vectors(passages, settings)

    client = chromadb.PersistentClient(
        path=str(folder), settings=chromadb.config.Settings(anonymized_telemetry=False, allow_reset=True)
    )
    embeddings = langchain_embeddings(settings, known=dict(zip(texts, vectors, strict=True)))
    return Chroma.from_texts(texts, embeddings, client=client, collection_name="baseline")


def _torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _run_size_child(n: int, n_queries: int, say: Say, quiet: bool, with_torch: bool = True) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"bot-bench-{n}-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "tools.bench", "--child", "--size", str(n), "--dir", tmp, "--result", str(out)]
        cmd += ["--queries", str(n_queries)] + (["--quiet"] if quiet else []) + ([] if with_torch else ["--no-torch"])
        began = time.perf_counter()
        proc = subprocess.run(cmd, cwd=PROJECT_DIR, env=_child_env(), check=False)
        if proc.returncode != 0 or not out.exists():
            return {"passages": n, "error": f"the measuring process exited with status {proc.returncode}"}
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        result["wall_s"] = round(time.perf_counter() - began, 1)
        say(f"{n:,} passages: done in {result['wall_s']:.0f} s")
        return result


def _child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False", **extra)
    return env


# --- the shipped corpus and the app -------------------------------------------------------------------------


def shipped_reingest(data_dir: Path, n_queries: int = 100, *, with_torch: bool = True) -> dict[str, Any]:
    """Ingest the shipped corpus into ``data_dir`` (and on PyTorch into another), time re-ingests of it unchanged
    (in process and CLI) and ``retrieve()`` against its floors."""
    from bot.ingest import ingest

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=data_dir, corpus_dir=PROJECT_DIR / "corpus", llm="extractive"
    )
    first = ingest(settings=settings)
    torch_settings = settings.model_copy(update={"data_dir": data_dir.parent / "data-torch", "embed_backend": "torch"})
    torch_s = ingest(settings=torch_settings).seconds if with_torch else None
    again = [ingest(settings=settings).seconds for _ in range(3)]
    cli_s, proc = _timed(
        lambda: subprocess.run(
            [sys.executable, "-m", "bot", "ingest", "--quiet"],
            cwd=PROJECT_DIR,
            env=_child_env(BOT_DATA_DIR=str(data_dir), BOT_CORPUS_DIR=str(settings.corpus_dir)),
            capture_output=True,
            check=False,
        )
    )
    base = Settings(_env_file=None, corpus_dir=PROJECT_DIR / "corpus")  # type: ignore[call-arg]
    queries = make_queries(n_queries + 10, load_shipped(base), seed=SEED + 2)
    latency = retrieve_latency(settings, None, queries[:10], queries[10:], with_torch=with_torch)
    return {
        "passages": first.passages_embedded,
        "first_ingest_s": round(first.seconds, 2),
        "ingest_passages_per_s": round(first.passages_embedded / first.seconds, 1),
        "torch_ingest_s": round(torch_s, 2) if torch_s else None,
        "torch_ingest_passages_per_s": round(first.passages_embedded / torch_s, 1) if torch_s else None,
        "ratio_vs_torch_ingest": round(torch_s / first.seconds, 3) if torch_s else None,
        "retrieve_ms": latency,
        "reingest_s": round(statistics.median(again), 4),
        "reingest_runs_s": [round(x, 4) for x in again],
        "reingest_cli_wall_s": round(cli_s, 2) if proc.returncode == 0 else None,
        "reingest_cli_note": "`python -m bot ingest` in a fresh process: interpreter start and imports included",
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _gradio_client(url: str) -> Any:
    from gradio_client import Client

    return Client(url, verbose=False, download_files=False, analytics_enabled=False)


def run_app(data_dir: Path, questions: list[str], *, say: Say = _quiet, timeout: float = 240.0) -> dict[str, Any]:
    """Start ``python app.py`` on a free port; time the first answer, then run concurrent chat sessions."""
    app = PROJECT_DIR / "app.py"
    if not app.exists():
        return {"cold_start_s": None, "reason": "app.py does not exist yet", "concurrency": None}
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    env = _child_env(BOT_DATA_DIR=str(data_dir), BOT_PORT=str(port), BOT_HOST="127.0.0.1", BOT_LLM="extractive")
    log_path = data_dir.parent / "app.log"
    say(f"app: starting python app.py on port {port}")
    with open(log_path, "wb") as log:
        began = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(app)], cwd=PROJECT_DIR, env=env, stdout=log, stderr=log)
        try:
            out = _first_answer(proc, url, questions[0], began, timeout)
            if out.get("ui_first_answer_s") is not None:
                out["cold_start_cpu_s"] = _cpu_s(proc.pid)
                say(f"app: first answer after {out['cold_start_s']:.1f} s; the first brief")
                brief_s, cards = _timed(lambda: _gradio_client(url).predict(MOTION, 5, api_name="/brief"))
                out["first_brief_s"] = round(brief_s, 2)
                out["first_brief_cards"] = len(cards.get("pro", [])) + len(cards.get("con", [])) if cards else 0
                say(f"app: first brief {brief_s:.1f} s; {SESSIONS} concurrent sessions")
                out["concurrency"] = run_sessions(url, questions[1:])
            else:
                out["concurrency"] = None
                out["log_tail"] = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return out


def _cpu_s(pid: int) -> float | None:
    """Return the CPU seconds (user + system) a running process has used so far."""
    import psutil

    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return None
    return round(times.user + times.system, 2)


TORCH_LOAD = (
    "from sentence_transformers import SentenceTransformer\n"
    "from bot.embeddings import resolve_model\n"
    "from bot.settings import DEFAULT_EMBEDDING_MODEL\n"
    "SentenceTransformer(resolve_model(DEFAULT_EMBEDDING_MODEL), device='cpu', local_files_only=True)\n"
)


def torch_load(runs: int = 2) -> dict[str, Any]:
    """Time fresh processes that only import sentence-transformers and load the model on PyTorch (wall and CPU)."""
    import resource

    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall, proc = _timed(
            lambda: subprocess.run(
                [sys.executable, "-c", TORCH_LOAD], cwd=PROJECT_DIR, env=_child_env(), capture_output=True, check=False
            )
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            return {"wall_s": None, "reason": proc.stderr.decode(errors="replace")[-500:]}
        walls.append(wall)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return {
        "wall_s": round(statistics.median(walls), 2),
        "cpu_s": round(statistics.median(cpus), 2),
        "runs_wall_s": [round(w, 2) for w in walls],
        "is": "python -c 'import sentence_transformers; SentenceTransformer(the shipped model)' in a fresh process",
    }


def start_breakdown(data_dir: Path) -> dict[str, Any]:
    """Run ``python -m tools.bench_start`` (app start phases timed inside one fresh process) and return its JSON."""
    env = _child_env(BOT_DATA_DIR=str(data_dir), BOT_LLM="extractive", BOT_PORT=str(_free_port()))
    proc = subprocess.run(
        [sys.executable, "-m", "tools.bench_start"], cwd=PROJECT_DIR, env=env, capture_output=True, check=False
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.decode(errors="replace")[-1000:]}
    data: dict[str, Any] = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    return data


def _first_answer(
    proc: subprocess.Popen[bytes], url: str, question: str, began: float, timeout: float
) -> dict[str, Any]:
    """Time the first answer as the start page gets it (POST /api/ask), then the first through the Gradio API."""
    up_s: float | None = None
    last_error = ""
    out: dict[str, Any] = {}
    while time.perf_counter() - began < timeout:
        if proc.poll() is not None:
            return {"cold_start_s": None, "reason": f"app.py exited with status {proc.returncode}"}
        try:
            if "cold_start_s" not in out:
                answer = _post_json(f"{url}api/ask", {"question": question})
                out["cold_start_s"] = round(time.perf_counter() - began, 2)
                out["first_answer_refused"] = bool(answer.get("refused"))
                continue
            client = _gradio_client(url)
            up_s = up_s or time.perf_counter() - began
            client.predict(question, api_name="/ask")
        except Exception as exc:  # not up yet: connection refused, 503 while Gradio starts, ...
            last_error = f"{type(exc).__name__}: {exc}"[:300]
            time.sleep(0.05 if "cold_start_s" not in out else 0.2)
            continue
        out["ui_first_answer_s"] = round(time.perf_counter() - began, 2)
        out["server_up_s"] = round(up_s, 2)
        return out
    reason = f"no answer within {timeout:.0f} s ({last_error})"
    return {**out, "cold_start_s": out.get("cold_start_s"), "reason": reason}


def _post_json(url: str, body: dict[str, Any]) -> dict[str, Any]:
    import urllib.request

    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as reply:  # noqa: S310 - a local http URL
        data: dict[str, Any] = json.loads(reply.read())
    return data


def run_sessions(url: str, questions: list[str]) -> dict[str, Any]:
    """Run SESSIONS chat sessions at once (a thread and a Client each), TURNS_PER_SESSION distinct questions each."""
    need = SESSIONS * TURNS_PER_SESSION
    pool = (questions * (need // max(len(questions), 1) + 1))[:need]
    pool = [q if i < len(questions) else f"{q} ({i})" for i, q in enumerate(pool)]
    latencies: list[float] = []
    errors: list[str] = []
    mismatched = refused = 0
    lock = threading.Lock()
    start = threading.Barrier(SESSIONS)

    def session(n: int) -> None:
        nonlocal mismatched, refused
        mine = pool[n * TURNS_PER_SESSION : (n + 1) * TURNS_PER_SESSION]
        try:
            client = _gradio_client(url)
        except Exception as exc:  # counted, not raised: the run goes on
            with lock:
                errors.append(f"connect: {type(exc).__name__}: {exc}"[:200])
            start.abort()
            return
        with contextlib.suppress(threading.BrokenBarrierError):
            start.wait(timeout=60)
        for q in mine:
            t0 = time.perf_counter()
            try:
                answer = client.predict(q, api_name="/ask")
            except Exception as exc:  # counted, not raised
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])
                continue
            with lock:
                latencies.append(time.perf_counter() - t0)
                if not isinstance(answer, dict) or answer.get("question") != q.strip():
                    mismatched += 1
                refused += bool(isinstance(answer, dict) and answer.get("refused"))

    began = time.perf_counter()
    threads = [threading.Thread(target=session, args=(n,), name=f"session-{n}") for n in range(SESSIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    wall = time.perf_counter() - began
    return {
        "sessions": SESSIONS,
        "requests": need,
        "latency_ms": _summary(latencies),
        "errors": len(errors),
        "error_samples": errors[:5],
        "mismatched_answers": mismatched,
        "refused": refused,
        "wall_s": round(wall, 2),
        "answers_per_s": round(len(latencies) / wall, 2) if wall > 0 else 0.0,
    }


# --- the whole run ------------------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    """Return what the numbers depend on: cores, memory, Python and library versions."""
    from importlib.metadata import PackageNotFoundError, version

    import psutil

    versions: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return {
        "cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "libraries": versions,
    }


def run_bench(
    sizes: list[int],
    *,
    skip_app: bool = False,
    with_torch: bool = True,
    n_queries: int = 100,
    say: Say = _quiet,
    quiet: bool = False,
    save: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Measure the shipped corpus re-ingest, the app, then every size (one child process each); judge the targets.

    ``save`` is called with the result so far after each step (``complete`` false until the end), so a long run
    that is stopped keeps what it measured.
    """
    began = time.perf_counter()
    result: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "complete": False,
        "machine": machine_info(),
        "sizes": {},
    }

    def checkpoint() -> None:
        result["targets"] = judge(result)
        result["seconds"] = round(time.perf_counter() - began, 1)
        if save is not None:
            save(result)

    with tempfile.TemporaryDirectory(prefix="bot-bench-shipped-") as tmp:
        data_dir = Path(tmp) / "data"
        say("shipped corpus: ingest and re-ingest")
        result["shipped"] = shipped_reingest(data_dir, n_queries, with_torch=with_torch)
        if skip_app:
            result["app"] = {"cold_start_s": None, "reason": "--skip-app given", "concurrency": None}
        else:
            base = Settings(_env_file=None, corpus_dir=PROJECT_DIR / "corpus")  # type: ignore[call-arg]
            questions = make_queries(SESSIONS * TURNS_PER_SESSION + 1, load_shipped(base), seed=SEED + 1)
            say("app: PyTorch model load in a fresh process (the baseline), the app, the baseline again")
            first_load = torch_load(1)
            result["app"] = run_app(data_dir, questions, say=say)
            second_load = torch_load(1)
            walls = [x["wall_s"] for x in (first_load, second_load) if x.get("wall_s")]
            cpus = [x["cpu_s"] for x in (first_load, second_load) if x.get("cpu_s")]
            app = result["app"]
            app["torch_load"] = {
                "wall_s": round(statistics.mean(walls), 2) if walls else None,
                "cpu_s": round(statistics.mean(cpus), 2) if cpus else None,
                "runs": [first_load, second_load],
            }
            if walls and app.get("cold_start_s"):
                app["ratio_vs_torch_load"] = round(app["cold_start_s"] / statistics.mean(walls), 3)
            if walls and app.get("ui_first_answer_s"):
                app["ui_ratio_vs_torch_load"] = round(app["ui_first_answer_s"] / statistics.mean(walls), 3)
            if cpus and app.get("cold_start_cpu_s"):  # the CPU seconds up to the UI's first answer
                app["cpu_ratio_vs_torch_load"] = round(app["cold_start_cpu_s"] / statistics.mean(cpus), 3)
            say("app: start phases inside one process")
            app["breakdown"] = start_breakdown(data_dir)
    say("stance: the favour encoder against the embedding model on the shipped corpus's sentences")
    shipped_settings = Settings(_env_file=None, corpus_dir=PROJECT_DIR / "corpus")  # type: ignore[call-arg]
    result["stance"] = stance_cost(shipped_settings, limit=10 * n_queries)  # 1,000 sentences by default
    checkpoint()
    for n in sizes:
        say(f"size {n:,}: starting a measuring process")
        result["sizes"][str(n)] = _run_size_child(n, n_queries, say, quiet, with_torch)
        checkpoint()
    result["complete"] = True
    checkpoint()
    return result


def stance_cost(settings: Settings, limit: int = 1000) -> dict[str, Any]:
    """Time the favour encoder and, as the baseline in the same run, the embedding model on the same sentences."""
    from bot.debate.favour import favour_encoder
    from bot.embeddings import embed_texts
    from bot.text import is_sentence, split_sentences

    texts: list[str] = []
    for path in sorted(settings.corpus_dir.glob("*.md")):
        body = path.read_text(encoding="utf-8")
        texts += [body[a:b] for a, b in split_sentences(body) if is_sentence(body[a:b], complete=True)]
    texts = list(dict.fromkeys(texts))[:limit]
    encoder = favour_encoder(settings)
    if encoder is None:
        return {"ms_per_passage": None, "reason": "the favour encoder is unavailable (see the log)"}
    if not texts:
        return {"ms_per_passage": None, "reason": f"no sentences in {settings.corpus_dir}"}
    embed_texts(texts[:8], settings)
    encoder.encoder.encode(texts[:8], 32)  # type: ignore[attr-defined]
    favour_s, _ = _timed(lambda: encoder.encoder.encode(texts, 32))  # type: ignore[attr-defined]
    embed_s, _ = _timed(lambda: embed_texts(texts, settings))
    return {
        "passages": len(texts),
        "ms_per_passage": round(1000 * favour_s / len(texts), 2),
        "embedding_ms_per_passage": round(1000 * embed_s / len(texts), 2),
        "ratio_vs_embedding": round(favour_s / embed_s, 3),
    }


def judge(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Return each target with the measured value and pass/fail (None when it was not measured)."""
    rows: list[dict[str, Any]] = []
    sizes = {int(n): r for n, r in result.get("sizes", {}).items()}

    def add(name: str, value: float | None, size: int | None = None) -> None:
        spec = TARGETS[name]
        ok: bool | None = None
        if value is not None:
            ok = value <= spec["max"] if "max" in spec else value >= spec["min"]
        bound = f"<= {spec['max']}" if "max" in spec else f">= {spec['min']}"
        rows.append({"target": name, "size": size, "bound": bound, "value": value, "pass": ok, "what": spec["what"]})

    def per_size(name: str, read: Callable[[dict[str, Any]], float]) -> None:
        wanted = TARGETS[name].get("sizes") or sorted(sizes)
        for n in wanted:
            r = sizes.get(n)
            add(name, None if r is None or "error" in r else read(r), n)

    per_size("retrieve_p50_vs_floor", lambda r: r["retrieve_ms"]["ratio_p50_vs_floor"])
    per_size("retrieve_p50_vs_torch_embed", lambda r: r["retrieve_ms"]["ratio_p50_vs_torch_embed"])
    per_size("ingest_vs_bare_encode", lambda r: r["ingest"]["ratio_vs_bare"])
    wanted = [n for n in sorted(sizes) if n <= TORCH_INGEST_MAX] or [TORCH_INGEST_MAX]
    for n in wanted:
        r = sizes.get(n)
        add("ingest_vs_torch_ingest", None if r is None or "error" in r else r["ingest"]["ratio_vs_torch_ingest"], n)
    shipped = result.get("shipped") or {}
    add("shipped_ingest_vs_torch_ingest", shipped.get("ratio_vs_torch_ingest"))
    add("shipped_retrieve_vs_torch_embed", (shipped.get("retrieve_ms") or {}).get("ratio_p50_vs_torch_embed"))
    app = result.get("app") or {}
    add("app_start_vs_torch_load", app.get("ratio_vs_torch_load"))
    add("app_start_s", app.get("cold_start_s"))
    add("first_brief_s", app.get("first_brief_s"))
    per_size("ask_p50_ms", lambda r: r["ask_ms"]["p50"])
    per_size("rss_peak_mb", lambda r: r["rss_mb"]["peak"])
    add("shipped_reingest_s", (result.get("shipped") or {}).get("reingest_s"))
    add("favour_ms_per_passage", (result.get("stance") or {}).get("ms_per_passage"))
    return rows


def format_report(result: dict[str, Any]) -> str:
    """Render the headline ratios, a table per size, the app figures and the targets."""
    m = result["machine"]
    libs = m["libraries"]
    lines = [
        f"bench on {m['cores']} cores, Python {m['python']}, torch {libs.get('torch')}, "
        f"onnxruntime {libs.get('onnxruntime')}, "
        f"sentence-transformers {libs.get('sentence-transformers')}, chromadb {libs.get('chromadb')}, "
        f"langchain-core {libs.get('langchain-core')}, gradio {libs.get('gradio')}",
        "",
        "headline: ratios (retrieve: lower is better; ingest: higher is better)",
        f"{'passages':>10}  {'retrieve ours/floor':>20}  {'ours/PyTorch query':>18}  {'ours/LangChain':>15}  "
        f"{'ingest ours/PyTorch encode':>27}  {'ours/PyTorch ingest':>20}",
    ]
    ok_sizes = [(n, r) for n, r in result["sizes"].items() if "error" not in r]
    for n, r in ok_sizes:
        rm = r["retrieve_ms"]
        vs_torch = r["ingest"].get("ratio_vs_torch_ingest")
        vs_query = rm.get("ratio_p50_vs_torch_embed") or 0.0
        lines.append(
            f"{int(n):>10,}  {rm['ratio_p50_vs_floor']:>19.2f}x  {vs_query:>17.2f}x  "
            f"{rm.get('ratio_p50_vs_langchain', 0.0):>14.2f}x  {r['ingest']['ratio_vs_bare']:>26.2f}x  "
            + (f"{vs_torch:>19.2f}x" if vs_torch else f"{'-':>20}")
        )
    for n, r in result["sizes"].items():
        if "error" in r:
            lines.append(f"{int(n):>10,}  FAILED: {r['error']}")
    lines += [
        "",
        f"{'passages':>10} {'ingest/s':>9} {'bare/s':>8} {'re-ingest':>10} {'retrieve p50/p95 ms':>20} "
        f"{'floor':>12} {'LangChain':>12} {'ask p50/p95 ms':>15} {'RSS MB':>8}",
    ]

    def pair(s: dict[str, Any]) -> str:
        return f"{s['p50']:.1f}/{s['p95']:.1f}"

    for n, r in ok_sizes:
        rm = r["retrieve_ms"]
        lines.append(
            f"{int(n):>10,} {r['ingest']['passages_per_s']:>9.0f} {r['ingest']['bare_encode_passages_per_s']:>8.0f} "
            f"{r['reingest_s']:>9.2f}s {pair(rm['ours']):>20} {pair(rm['floor']):>12} {pair(rm['langchain']):>12} "
            f"{pair(r['ask_ms']):>15} {r['rss_mb']['peak']:>8.0f}"
        )
    shipped = result.get("shipped") or {}
    lines += [
        "",
        f"shipped corpus ({shipped.get('passages')} passages): re-ingest {shipped.get('reingest_s')} s "
        f"in process, {shipped.get('reingest_cli_wall_s')} s as `python -m bot ingest`",
    ]
    if shipped.get("retrieve_ms") and shipped.get("torch_ingest_s"):
        rm = shipped["retrieve_ms"]
        lines.append(
            f"shipped corpus: ingest {shipped['ingest_passages_per_s']} passages/s vs "
            f"{shipped['torch_ingest_passages_per_s']} on PyTorch ({shipped['ratio_vs_torch_ingest']}x); retrieve "
            f"p50 {rm['ours']['p50']} ms, floor {rm['floor']['p50']} ms, "
            f"PyTorch query alone {rm['torch_embed']['p50']} ms ({rm['ratio_p50_vs_torch_embed']}x)"
        )
    app = result.get("app") or {}
    if app.get("cold_start_s") is None:
        lines.append(f"app: not measured ({app.get('reason')})")
    else:
        lines.append(
            f"app: cold start to first answer {app['cold_start_s']:.1f} s (the Gradio UI's first answer "
            f"{app.get('ui_first_answer_s')} s, its API up {app.get('server_up_s')} s, "
            f"{app.get('cold_start_cpu_s')} CPU s); a fresh PyTorch model load "
            f"{(app.get('torch_load') or {}).get('wall_s')} s ({app.get('ratio_vs_torch_load')}x); first brief "
            f"{app.get('first_brief_s')} s"
        )
        marks = (app.get("breakdown") or {}).get("marks_s")
        if marks:
            lines.append(
                "app start phases (s since the process began): " + ", ".join(f"{k} {v}" for k, v in marks.items())
            )
        c = app.get("concurrency") or {}
        if c:
            lat = c["latency_ms"]
            lines.append(
                f"app: {c['sessions']} concurrent sessions x {TURNS_PER_SESSION} questions: p50 {lat.get('p50')} ms, "
                f"p95 {lat.get('p95')} ms, errors {c['errors']}, mismatched answers {c['mismatched_answers']}, "
                f"{c['answers_per_s']} answers/s"
            )
    lines += ["", "targets:"]
    for t in result["targets"]:
        verdict = {True: "PASS", False: "FAIL", None: "n/a "}[t["pass"]]
        at = f" at {t['size']:,}" if t["size"] else ""
        lines.append(f"  {verdict} {t['target']}{at}: {t['value']} (target {t['bound']})")
    return "\n".join(lines)


def parse_sizes(text: str) -> list[int]:
    """Parse ``1000,10000,100k`` into passage counts."""
    sizes: list[int] = []
    for part in text.split(","):
        token = part.strip().lower().replace("_", "")
        scale = {"k": 1000, "m": 1_000_000}.get(token[-1:], 1)
        token = token.removesuffix("k").removesuffix("m")
        if not token.isdigit() or int(token) * scale < 10:
            raise InputError(
                f"--sizes {text!r}: {part.strip()!r} is not a passage count of at least 10.",
                "Pass counts separated by commas, e.g. --sizes 1000,10000,100000.",
            )
        sizes.append(int(token) * scale)
    return sizes


def _cmd_bench(args: argparse.Namespace) -> int:
    sizes = parse_sizes(args.sizes)
    if args.queries < 5:
        raise InputError(f"--queries {args.queries} is too few to take percentiles of.", "Pass at least 5.")
    say: Say = _quiet if args.json else (lambda msg: print(f"... {msg}", file=sys.stderr, flush=True))
    out = Path(args.out) if args.out else RESULTS_DIR / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    say(f"results go to {out} (rewritten after each step)")

    def save(partial: dict[str, Any]) -> None:
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(json.dumps(partial, indent=2, ensure_ascii=False), encoding="utf-8")
        tmp.replace(out)

    result = run_bench(
        sizes,
        skip_app=args.skip_app,
        with_torch=not args.no_torch,
        n_queries=args.queries,
        say=say,
        quiet=args.json,
        save=save,
    )
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(format_report(result))
        print(f"\nsaved: {out}")
    return 1 if any("error" in r for r in result["sizes"].values()) else 0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (``python -m tools.bench [--sizes ...]``); a BotError prints its message and exits 2."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--child"]:
        return _child_main(args[1:])
    p = argparse.ArgumentParser(
        prog="python -m tools.bench", description="measure ingest, retrieval, answers, memory and the app"
    )
    p.add_argument(
        "--sizes",
        default=",".join(str(n) for n in DEFAULT_SIZES),
        help="synthetic corpus sizes in passages, comma-separated (default 1000,10000,100000)",
    )
    p.add_argument("--queries", type=int, default=100, help="timed queries per measurement (default 100)")
    p.add_argument("--skip-app", action="store_true", help="do not start app.py (cold start and sessions: null)")
    p.add_argument(
        "--no-torch",
        action="store_true",
        help="skip every PyTorch baseline (ingests, encodes and query embeddings on PyTorch: their fields are null)",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--out", default=None, help="save the JSON here (default bench/results/bench-<time>.json)")
    try:
        return _cmd_bench(p.parse_args(args))
    except BotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _child_main(argv: list[str] | None = None) -> int:
    """Entry of the measuring child process: ``python -m tools.bench --child --size N --dir D --result F``."""
    parser = argparse.ArgumentParser(prog="python -m tools.bench --child", description="one size of the benchmark")
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--result", required=True)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args(argv)
    say: Say = _quiet if args.quiet else (lambda msg: print(f"... {msg}", file=sys.stderr, flush=True))
    result = run_size(args.size, Path(args.dir), n_queries=args.queries, say=say, with_torch=not args.no_torch)
    Path(args.result).write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
