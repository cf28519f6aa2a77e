"""``make bench-scale`` (``python -m tools.bench_scale [--sizes 1000000]``): ``retrieve()`` at a million passages.

For each size a child process (so its peak RSS is its own) writes a synthetic corpus from the shipped one's sentences
(``tools.bench.make_corpus``), ingests it through the real ``bot.ingest.ingest`` -- reading, chunking, Chroma upserts,
manifest, stored texts -- with one step replaced: passage vectors are generated directly instead of by the model (a
million passages through the model would take hours on a laptop CPU). Each generated vector is the normalised sum of
the vectors of real shipped sentences (embedded once by the model; the one a sentence hashes to) plus Gaussian
noise, so the vectors cluster the way real ones do, not uniformly on the sphere (which is the worst case for HNSW).
Queries are real questions embedded by the model. Then, in the same process and run, it measures the index build
(BM25 and the passage table, on the first query), ``retrieve()`` against its floor at the same size (query embedding
+ raw Chroma query), interleaved query by query, and peak RSS per phase. Results are printed and saved as JSON
under ``bench/results/``. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import BotError
from bot.settings import PROJECT_DIR, Settings
from tools.bench import (
    RESULTS_DIR,
    SEED,
    RssSampler,
    Say,
    _child_env,
    _load,
    _quiet,
    _summary,
    load_shipped,
    machine_info,
    make_corpus,
    make_queries,
    parse_sizes,
)

DEFAULT_SIZES = (1_000_000,)
K = 5
NOISE = 0.02
"""Standard deviation of the noise added to each coordinate of a generated vector (a unit vector's coordinates
have a standard deviation of about 0.05 in 384 dimensions)."""
BASE_SENTENCES = 3_000
GROUP_MAX = 50_000
"""Largest ingest group here (the product's ``bot.ingest.GROUP_MAX_PASSAGES`` is 2,048). Each group rewrites the
manifest, one JSON file that grows with the index: at 2,048 a million passages mean about 1,000 rewrites of a file
that reaches ~100 MB, which made the manifest, not Chroma, most of the build (profiled). The bench lifts the cap to
measure retrieval at scale in reasonable time; the product's cap is reported beside the figures."""


def synthetic_embedder(base: np.ndarray, seed: int = SEED) -> Any:
    """Return a stand-in for ``bot.ingest.embed_group`` that generates passage vectors instead of running the model.

    Candidate sentences are given none (``ask()`` would embed its candidates itself); only ``retrieve()`` is timed.
    """
    from bot.text import split_sentences

    rng = np.random.default_rng(seed)

    def embed_group(group: list[Any], settings: Settings) -> tuple[np.ndarray, list[list[tuple[int, int]]], np.ndarray]:
        chunks = [c for _, _, doc_chunks in group for c in doc_chunks]
        rows = np.zeros((len(chunks), base.shape[1]), dtype=np.float32)
        for i, chunk in enumerate(chunks):
            for a, b in split_sentences(chunk.text):
                rows[i] += base[zlib.crc32(chunk.text[a:b].encode()) % len(base)]
        rows += rng.normal(0.0, NOISE, size=rows.shape).astype(np.float32)
        rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
        return rows, [[] for _ in group], np.zeros((0, base.shape[1]), dtype=np.float32)

    return embed_group


def _disk_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1)


def run_size(
    n_passages: int, work: Path, *, n_queries: int = 100, group_max: int = GROUP_MAX, say: Say = _quiet
) -> dict[str, Any]:
    """Build an index of ``n_passages`` synthetic passages in ``work`` and time ``retrieve()`` against its floor."""
    import importlib

    from bot.embeddings import backend, embed_texts

    sampler = RssSampler(interval=0.2)
    result: dict[str, Any] = {"passages": n_passages, "load_before": _load()}
    base_settings = Settings(_env_file=None, corpus_dir=PROJECT_DIR / "corpus")  # type: ignore[call-arg]
    shipped = load_shipped(base_settings)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=work / "data", corpus_dir=work / "corpus", llm="extractive"
    )
    result["backend"] = backend(settings)

    say(f"{n_passages:,} passages: writing the synthetic corpus")
    with sampler.phase("generate"):
        began = time.perf_counter()
        n_texts = len(make_corpus(n_passages, work / "corpus", base_settings, shipped))
        result["generate_s"] = round(time.perf_counter() - began, 1)
    result["sources"] = len(list((work / "corpus").glob("*.md")))

    say(f"{n_passages:,} passages: embedding {BASE_SENTENCES:,} real sentences for the generated vectors")
    base = embed_texts(shipped.sentences[:BASE_SENTENCES], settings)
    ingest_module = importlib.import_module("bot.ingest")  # the module: bot.ingest the attribute is the function
    real_embed_group, real_group_max = ingest_module.embed_group, ingest_module.GROUP_MAX_PASSAGES
    ingest_module.embed_group = synthetic_embedder(base)
    ingest_module.GROUP_MAX_PASSAGES = group_max
    result["group_max_passages"] = group_max
    say(f"{n_passages:,} passages: ingest (Chroma upserts, manifest, texts; vectors generated)")
    try:
        with sampler.phase("build"):
            report = ingest_module.ingest(settings=settings)
    finally:
        ingest_module.embed_group, ingest_module.GROUP_MAX_PASSAGES = real_embed_group, real_group_max
    if report.failed or report.passages_embedded != n_texts:
        raise BotError(f"The scale ingest went wrong: {report.failed or report.passages_embedded}.", "Report a bug.")
    result["build_s"] = round(report.seconds, 1)
    result["build_passages_per_s"] = round(n_texts / report.seconds, 1)

    measure(settings, shipped, result, sampler, n_queries=n_queries, say=say)
    peaks = sampler.stop()
    result["rss_mb"] = {"peak": max(peaks.values()), "by_phase": peaks}
    result["disk_mb"] = _disk_mb(work / "data")
    result["load_after"] = _load()
    return result


def measure(
    settings: Settings, shipped: Any, result: dict[str, Any], sampler: RssSampler, *, n_queries: int, say: Say
) -> None:
    """Time the index load (the first query) and ``retrieve()`` against its floor on an index already built."""
    from bot.embeddings import get_encoder
    from bot.retrieval import retrieve
    from bot.store import get_collection

    n_passages = result["passages"]
    queries = make_queries(n_queries + 10, shipped, seed=SEED + 3)
    say(f"{n_passages:,} passages: index build (first query)")
    with sampler.phase("index"):
        began = time.perf_counter()
        retrieve(queries[0], K, settings=settings)
        result["index_build_s"] = round(time.perf_counter() - began, 1)
    collection = get_collection(settings)
    result["chroma_count"] = collection.count()

    encoder = get_encoder(settings)

    def floor(q: str) -> Any:
        return collection.query(query_embeddings=encoder.encode([q], 1), n_results=K)

    runners = {"ours": lambda q: retrieve(q, K, settings=settings), "floor": floor}
    say(f"{n_passages:,} passages: retrieve x{n_queries} against the floor, interleaved")
    with sampler.phase("retrieve"):
        for q in queries[1:10]:
            for run in runners.values():
                run(q)
        times: dict[str, list[float]] = {name: [] for name in runners}
        for i, q in enumerate(queries[10:]):
            names = list(runners) if i % 2 == 0 else list(runners)[::-1]
            for name in names:
                t0 = time.perf_counter()
                runners[name](q)
                times[name].append(time.perf_counter() - t0)
    out = {name: _summary(values) for name, values in times.items()}
    result["retrieve_ms"] = {
        **out,
        "k": K,
        "ratio_p50_vs_floor": round(float(out["ours"]["p50"]) / float(out["floor"]["p50"]), 3),
        "ratio_p95_vs_floor": round(float(out["ours"]["p95"]) / float(out["floor"]["p95"]), 3),
        "floor_is": "the query embedded by the model + collection.query(n_results=k), at the same size",
    }


def measure_existing(data_dir: Path, *, n_queries: int = 100, say: Say = _quiet) -> dict[str, Any]:
    """Measure an index built earlier (``--keep``, or a build that was stopped: its manifest says what is indexed)."""
    from bot.manifest import load_manifest

    sampler = RssSampler(interval=0.2)
    settings = Settings(_env_file=None, data_dir=data_dir, llm="extractive")  # type: ignore[call-arg]
    manifest = load_manifest(settings)
    result: dict[str, Any] = {
        "passages": sum(len(e["passages"]) for e in manifest.sources.values()),
        "sources": len(manifest.sources),
        "measured_existing": str(data_dir),
        "load_before": _load(),
    }
    shipped = load_shipped(Settings(_env_file=None, corpus_dir=PROJECT_DIR / "corpus"))  # type: ignore[call-arg]
    measure(settings, shipped, result, sampler, n_queries=n_queries, say=say)
    peaks = sampler.stop()
    result["rss_mb"] = {"peak": max(peaks.values()), "by_phase": peaks}
    result["disk_mb"] = _disk_mb(data_dir)
    result["load_after"] = _load()
    return result


def _run_child(n: int, n_queries: int, group_max: int, keep: Path | None, say: Say) -> dict[str, Any]:
    import subprocess

    work = Path(tempfile.mkdtemp(prefix=f"bot-scale-{n}-", dir=keep))
    out = work / "result.json"
    cmd = [sys.executable, "-m", "tools.bench_scale", "--child", "--size", str(n), "--dir", str(work)]
    cmd += ["--result", str(out), "--queries", str(n_queries), "--group-max", str(group_max)]
    began = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=PROJECT_DIR, env=_child_env(), check=False)
        if proc.returncode != 0 or not out.exists():
            why = "killed (out of memory?)" if proc.returncode < 0 else f"exited with status {proc.returncode}"
            return {"passages": n, "error": f"the measuring process {why}", "wall_s": time.perf_counter() - began}
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        result["wall_s"] = round(time.perf_counter() - began, 1)
        say(f"{n:,} passages: done in {result['wall_s']:.0f} s")
        return result
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)


def format_report(result: dict[str, Any]) -> str:
    """Render one line per size."""
    lines = [
        f"bench-scale on {result['machine']['cores']} cores, {result['machine']['memory_gb']} GB",
        f"{'passages':>10} {'build s':>8} {'index s':>8} {'retrieve p50/p95 ms':>20} {'floor p50/p95':>14} "
        f"{'ours/floor':>10} {'peak RSS MB':>11} {'disk MB':>8}",
    ]
    for n, r in result["sizes"].items():
        if "error" in r:
            lines.append(f"{int(n):>10,}  FAILED: {r['error']}")
            continue
        rm = r["retrieve_ms"]
        lines.append(
            f"{int(n):>10,} {r.get('build_s', float('nan')):>8.0f} {r['index_build_s']:>8.1f} "
            f"{rm['ours']['p50']:>9.1f}/{rm['ours']['p95']:<10.1f} "
            f"{rm['floor']['p50']:>6.1f}/{rm['floor']['p95']:<7.1f}"
            f" {rm['ratio_p50_vs_floor']:>9.2f}x {r['rss_mb']['peak']:>11.0f} {r['disk_mb']:>8.0f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the scale benchmark; a BotError prints its message and exits 2."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--child"]:
        p = argparse.ArgumentParser(prog="python -m tools.bench_scale --child")
        p.add_argument("--size", type=int, required=True)
        p.add_argument("--dir", required=True)
        p.add_argument("--result", required=True)
        p.add_argument("--queries", type=int, default=100)
        p.add_argument("--group-max", type=int, default=GROUP_MAX)
        a = p.parse_args(args[1:])
        say: Say = lambda msg: print(f"... {msg}", file=sys.stderr, flush=True)  # noqa: E731
        result = run_size(a.size, Path(a.dir), n_queries=a.queries, group_max=a.group_max, say=say)
        Path(a.result).write_text(json.dumps(result), "utf-8")
        return 0
    p = argparse.ArgumentParser(prog="python -m tools.bench_scale", description="retrieve() at a million passages")
    p.add_argument("--sizes", default="1000000", help="passage counts, comma-separated (default 1000000)")
    p.add_argument("--queries", type=int, default=100, help="timed queries per size (default 100)")
    p.add_argument("--keep", default=None, help="build the indexes under this folder and keep them")
    p.add_argument(
        "--group-max",
        type=int,
        default=GROUP_MAX,
        help=f"largest ingest group in passages (default {GROUP_MAX:,}; the product's is 2,048: see GROUP_MAX)",
    )
    p.add_argument("--out", default=None, help="save the JSON here (default bench/results/scale-<time>.json)")
    p.add_argument("--measure", default=None, help="only measure the index in this data dir (built earlier)")
    a = p.parse_args(args)
    try:
        sizes = parse_sizes(a.sizes)
    except BotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    say = lambda msg: print(f"... {msg}", file=sys.stderr, flush=True)  # noqa: E731
    out = Path(a.out) if a.out else RESULTS_DIR / f"scale-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine_info(), "sizes": {}}
    if a.measure:
        measured = measure_existing(Path(a.measure), n_queries=a.queries, say=say)
        result["sizes"][str(measured["passages"])] = measured
        out.write_text(json.dumps(result, indent=2), encoding="utf-8")
        print(format_report(result))
        print(f"\nsaved: {out}")
        return 0
    for n in sizes:
        say(f"size {n:,}: starting a measuring process")
        result["sizes"][str(n)] = _run_child(n, a.queries, a.group_max, Path(a.keep) if a.keep else None, say)
        out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(format_report(result))
    print(f"\nsaved: {out}")
    return 1 if any("error" in r for r in result["sizes"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
