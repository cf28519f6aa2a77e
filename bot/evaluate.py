"""``python -m bot eval``: retrieval, answers, citations, refusals and stance measured on a labelled eval set.

The same run measures a baseline a user would otherwise build: vanilla LangChain (``Chroma.from_documents`` over
fixed-size chunks from ``RecursiveCharacterTextSplitter`` with the same embedding model, ``similarity_search(k)``).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.answer import ask, prepare
from bot.debate.stance import evaluate_stance
from bot.embeddings import langchain_embeddings
from bot.errors import InputError, StoreError
from bot.evalset import EvalQuestion, EvalSet, Split, load_eval
from bot.grounding import passes
from bot.llm import make_chat_model, model_name
from bot.manifest import list_sources, load_manifest, source_text
from bot.qualifiers import FOREIGN_MIN_COSINE
from bot.retrieval import retrieve
from bot.settings import Settings, get_settings
from bot.types import Answer

TARGETS = {
    "recall@5": 0.95,
    "citation_precision": 1.0,
    "refusal_accuracy": 0.95,
    "near_miss_recall": 0.9,
    "stance_accuracy": 0.85,
}


def _source_ranks(source_ids: Sequence[str], gold: Sequence[str]) -> int | None:
    for rank, sid in enumerate(source_ids, 1):
        if sid in gold:
            return rank
    return None


def retrieval_metrics(ranked: Sequence[Sequence[str]], questions: Sequence[EvalQuestion]) -> dict[str, float]:
    """Recall@1, recall@5 and MRR (over the returned list) against gold sources."""
    ranks = [_source_ranks(r, q.gold_sources) for r, q in zip(ranked, questions, strict=True)]
    n = max(len(ranks), 1)
    return {
        "recall@1": round(sum(1 for r in ranks if r == 1) / n, 4),
        "recall@5": round(sum(1 for r in ranks if r is not None and r <= 5) / n, 4),
        "mrr": round(sum(1 / r for r in ranks if r) / n, 4),
    }


def _passage_text(passage_id: str, settings: Settings) -> str:
    sid, span, _digest = passage_id.rsplit(":", 2)
    start, end = (int(x) for x in span.split("-"))
    return source_text(sid, settings)[start:end]


def answer_metrics(answers: Sequence[Answer], questions: Sequence[EvalQuestion], settings: Settings) -> dict[str, Any]:
    """Answer accuracy, citation precision and refusal precision/recall."""
    factual = [(a, q) for a, q in zip(answers, questions, strict=True) if q.type == "factual"]
    unanswerable = [(a, q) for a, q in zip(answers, questions, strict=True) if q.type == "unanswerable"]
    correct = 0
    wrong: list[str] = []
    for a, q in factual:
        # The gold answer must be in the answer's own quoted sentences, not merely in a passage it cites.
        ok = not a.refused and any(q.answer in c.quote for c in a.citations)
        correct += ok
        if not ok:
            wrong.append(q.id)
    cited = good = 0
    for a, _ in factual:
        support_of = {n: s.supported for s in a.sentences for n in s.citations}
        for c in a.citations:
            cited += 1
            exact = source_text(c.source_id, settings)[c.start : c.end] == c.quote
            good += exact and support_of.get(c.n, False)
    refused_unans = sum(a.refused for a, _ in unanswerable)
    near = [a for a, q in unanswerable if q.near_miss]
    refused_all = sum(a.refused for a in answers)
    answered_fact = sum(not a.refused for a, _ in factual)
    return {
        "answer_accuracy": round(correct / max(len(factual), 1), 4),
        "citation_precision": round(good / cited, 4) if cited else 0.0,
        "refusal_recall": round(refused_unans / max(len(unanswerable), 1), 4),
        "refusal_precision": round(refused_unans / refused_all, 4) if refused_all else 0.0,
        "near_miss_recall": round(sum(a.refused for a in near) / len(near), 4) if near else 0.0,
        "n_near_miss": len(near),
        "refusal_accuracy": round((refused_unans + answered_fact) / max(len(unanswerable) + len(factual), 1), 4),
        "wrong_answers": wrong,
        "wrong_refusals": [q.id for a, q in unanswerable if not a.refused],
        "false_refusals": [q.id for a, q in factual if a.refused],
    }


def build_baseline(settings: Settings, folder: Path) -> Any:
    """Index every ingested source the vanilla LangChain way; return the vector store."""
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
    docs = [
        Document(page_content=source_text(s.id, settings), metadata={"source_id": s.id}) for s in list_sources(settings)
    ]
    chunks = splitter.split_documents(docs)
    import chromadb

    client = chromadb.PersistentClient(
        path=str(folder), settings=chromadb.config.Settings(anonymized_telemetry=False, allow_reset=True)
    )
    return Chroma.from_documents(chunks, langchain_embeddings(settings), client=client, collection_name="baseline")


def run_eval(
    path: str | Path | None = None,
    *,
    split: Split | None = None,
    baseline: bool = True,
    settings: Settings | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Measure everything on an eval set and return one JSON-ready summary."""
    settings = settings or get_settings()
    evalset: EvalSet = load_eval(path).split(split)
    if not load_manifest(settings).sources:
        raise StoreError("The index is empty.", "Run `python -m bot ingest` first.")
    say = progress or (lambda _msg: None)
    factual = [q for q in evalset.questions if q.type == "factual"]
    say(f"retrieval on {len(factual)} factual questions")
    t0 = time.perf_counter()
    ranked = [[p.source_id for p in retrieve(q.question, 5, settings=settings)] for q in factual]
    ours_retrieval = retrieval_metrics(ranked, factual)
    say(f"answers on {len(evalset.questions)} questions")
    answers = [ask(q.question, settings=settings) for q in evalset.questions]
    latencies = [float(a.metrics.get("total_ms", 0.0)) for a in answers]
    result: dict[str, Any] = {
        "eval_files": evalset.files,
        "split": split or "all",
        "n_questions": len(evalset.questions),
        "n_factual": len(factual),
        "n_unanswerable": len(evalset.questions) - len(factual),
        "n_stance": len(evalset.stance),
        "answer_model": answers[0].model if answers else "",
        "ours": {**ours_retrieval, **answer_metrics(answers, evalset.questions, settings)},
        "ask_ms_p50": round(statistics.median(latencies), 2) if latencies else 0.0,
        "seconds": 0.0,
    }
    if evalset.stance:
        say(f"stance on {len(evalset.stance)} passages")
        result["stance"] = evaluate_stance(evalset.stance, settings)
        result["ours"]["stance_accuracy"] = result["stance"].get("accuracy", 0.0)
    if baseline:
        say("baseline: vanilla LangChain Chroma.from_documents + similarity_search")
        with tempfile.TemporaryDirectory() as tmp:
            store = build_baseline(settings, Path(tmp))
            base_ranked = [[d.metadata["source_id"] for d in store.similarity_search(q.question, k=5)] for q in factual]
            top_hits = [
                q.answer in (store.similarity_search(q.question, k=1) or [None])[0].page_content for q in factual
            ]
        result["baseline"] = {
            **retrieval_metrics(base_ranked, factual),
            "answer_accuracy": round(sum(top_hits) / max(len(factual), 1), 4),
            "refusal_recall": 0.0,
            "note": "fixed 500-char chunks, top-k by cosine; no refusal, no offsets, so no checked citations",
        }
    result["targets"] = TARGETS
    result["seconds"] = round(time.perf_counter() - t0, 2)
    return result


def format_table(result: dict[str, Any]) -> str:
    """Render the summary as a plain-text table: ours vs the baseline vs the target."""
    ours, base = result["ours"], result.get("baseline", {})
    rows = [
        "recall@1",
        "recall@5",
        "mrr",
        "answer_accuracy",
        "citation_precision",
        "refusal_precision",
        "refusal_recall",
        "near_miss_recall",
        "refusal_accuracy",
        "stance_accuracy",
    ]
    lines = [
        f"eval: {result['n_questions']} questions ({result['n_factual']} factual, {result['n_unanswerable']} "
        f"unanswerable), {result['n_stance']} stance passages; split={result['split']}; "
        f"answers by {result['answer_model']}",
        "",
        f"{'metric':22}{'ours':>10}{'baseline':>10}{'target':>10}",
    ]
    for name in rows:
        if name not in ours:
            continue
        b = base.get(name, "")
        t = TARGETS.get(name, "")
        lines.append(
            f"{name:22}{ours[name]:>10.3f}{(f'{b:.3f}' if isinstance(b, float) else '-'):>10}"
            f"{(f'{t:.2f}' if isinstance(t, float) else ''):>10}"
        )
    if "stance" in result and "method" in result["stance"]:
        lines.append(f"\nstance method: {result['stance']['method']}")
    lines.append(f"ask p50: {result['ask_ms_p50']:.1f} ms   total: {result['seconds']:.1f} s")
    for key in ("wrong_answers", "wrong_refusals", "false_refusals"):
        if ours.get(key):
            lines.append(f"{key}: {', '.join(ours[key])}")
    return "\n".join(lines)


def calibrate(path: str | Path | None = None, *, settings: Settings | None = None) -> dict[str, Any]:
    """Grid-search the refusal thresholds on the dev split only; return the best triple and the top of the grid."""
    settings = settings or get_settings()
    dev = load_eval(path).split("dev").questions
    rows = []
    for q in dev:
        prepared = prepare(q.question, q.question, settings.answer_k, None, settings)
        fits = prepared.fits if prepared.fits is not None else np.ones(len(prepared.cosines), dtype=bool)
        rows.append(
            (
                q.type == "unanswerable",
                prepared.cosines[fits],
                prepared.coverages[fits],
                len(prepared.check.unknown),
                prepared.decisive,
                prepared.foreign,
            )
        )
    grid = []
    for tc in np.arange(0.25, 0.71, 0.025):
        for tv in np.arange(0.0, 0.91, 0.05):
            for tu in (0, 1, 2, 3):
                correct = 0
                for unans, cos, cov, n_unknown, sure, foreign in rows:
                    answerable = bool(len(cos)) and passes(cos, cov, n_unknown, tc, tv, tu)
                    answerable = sure or (answerable and not (foreign and (cos < FOREIGN_MIN_COSINE).all()))
                    correct += answerable != unans
                grid.append(
                    {
                        "min_cosine": round(float(tc), 3),
                        "min_coverage": round(float(tv), 3),
                        "unknown_terms": tu,
                        "accuracy": round(correct / len(rows), 4),
                    }
                )
    ranked = sorted(grid, key=lambda g: -g["accuracy"])
    current = next(
        (
            g
            for g in grid
            if abs(g["min_cosine"] - settings.refuse_min_cosine) < 1e-6
            and abs(g["min_coverage"] - settings.refuse_min_coverage) < 1e-6
            and g["unknown_terms"] == settings.refuse_unknown_terms
        ),
        None,
    )
    return {"n_dev": len(rows), "best": ranked[0], "current": current, "top": ranked[:15]}


# --- the configured LLM through the eval set -------------------------------------------------------------------


def spread(items: Sequence[Any], limit: int | None) -> list[Any]:
    """Return ``limit`` items spread evenly over the list (every part and type of an eval set), or all of them."""
    if not limit or limit >= len(items):
        return list(items)
    return [items[i * len(items) // limit] for i in range(limit)]


def _percentile(values: Sequence[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 1) if values else 0.0


def run_llm_eval(
    path: str | Path | None = None,
    *,
    split: Split | None = None,
    limit: int | None = None,
    settings: Settings | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the eval questions through the configured model, and the extractive answerer on the same questions.

    Reports answer accuracy, citation precision and refusals for both; for the model, how many of its answers
    passed the checks, how many fell back to the extractive answer and why, and p50/p95 latency.
    """
    settings = settings or get_settings()
    if make_chat_model(settings) is None:
        raise InputError(
            "eval --llm measures the configured model, and BOT_LLM is extractive.",
            "Set BOT_LLM=provider:model (and BOT_LLM_BASE_URL for a local server, e.g. one `make llm-server` runs).",
        )
    if not load_manifest(settings).sources:
        raise StoreError("The index is empty.", "Run `python -m bot ingest` first.")
    extractive = settings.model_copy(update={"llm": "extractive"})
    everything = load_eval(path).split(split).questions
    questions = spread(everything, limit)
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    answers: list[Answer] = []
    baseline: list[Answer] = []
    latencies: list[float] = []
    for i, q in enumerate(questions, 1):
        began = time.perf_counter()
        a = ask(q.question, settings=settings)
        latencies.append((time.perf_counter() - began) * 1000)
        answers.append(a)
        baseline.append(ask(q.question, settings=extractive))
        kind = "refused" if a.refused else f"fallback: {a.fallback}" if a.fallback else "model's answer"
        say(f"{i}/{len(questions)} {q.id}: {kind} ({latencies[-1] / 1000:.1f} s)")
    called = [a for a in answers if "model_ms" in a.metrics]
    passed = [a for a in called if not a.fallback]
    reasons = Counter(a.fallback for a in called if a.fallback)
    sentences = [s for a in passed for s in a.sentences]
    called_latency = [lat for a, lat in zip(answers, latencies, strict=True) if "model_ms" in a.metrics]
    ours = answer_metrics(answers, questions, settings)
    base = answer_metrics(baseline, questions, settings)
    return {
        "eval_files": load_eval(path).files,
        "split": split or "all",
        "n_questions": len(questions),
        "of": len(everything),
        "model": model_name(settings),
        "timeout_s": settings.llm_timeout,
        "llm": ours,
        "extractive": base,
        "model_calls": len(called),
        "passed_checks": round(len(passed) / len(called), 4) if called else 0.0,
        "fallback_share": round(sum(reasons.values()) / len(called), 4) if called else 0.0,
        "fallbacks": dict(reasons),
        "supported_sentences": round(sum(s.supported for s in sentences) / len(sentences), 4) if sentences else 0.0,
        "latency_ms": {"p50": _percentile(latencies, 50), "p95": _percentile(latencies, 95)},
        "model_latency_ms": {"p50": _percentile(called_latency, 50), "p95": _percentile(called_latency, 95)},
        "seconds": round(time.perf_counter() - t0, 1),
    }


def format_llm_table(result: dict[str, Any]) -> str:
    """Render ``run_llm_eval``'s summary: the model beside the extractive answerer, then the model's checks."""
    llm, base = result["llm"], result["extractive"]
    rows = ["answer_accuracy", "citation_precision", "refusal_precision", "refusal_recall", "refusal_accuracy"]
    lines = [
        f"eval --llm: {result['n_questions']} of {result['of']} questions (split={result['split']}), answers by "
        f"{result['model']} (BOT_LLM_TIMEOUT={result['timeout_s']:g} s)",
        "",
        f"{'metric':22}{'llm path':>10}{'extractive':>12}",
    ]
    lines += [f"{name:22}{llm[name]:>10.3f}{base[name]:>12.3f}" for name in rows]
    fallbacks = ", ".join(f"{k} {v}" for k, v in sorted(result["fallbacks"].items())) or "none"
    lat, mlat = result["latency_ms"], result["model_latency_ms"]
    lines += [
        "",
        f"model asked on {result['model_calls']} questions (the others were refused before the model)",
        f"model answers that passed the checks: {result['passed_checks']:.2f}; fell back to the extractive answer: "
        f"{result['fallback_share']:.2f} ({fallbacks})",
        f"supported sentences in the model answers returned: {result['supported_sentences']:.2f}",
        f"latency per question: p50 {lat['p50'] / 1000:.1f} s, p95 {lat['p95'] / 1000:.1f} s (with the model: p50 "
        f"{mlat['p50'] / 1000:.1f} s, p95 {mlat['p95'] / 1000:.1f} s); total {result['seconds']:.0f} s",
    ]
    return "\n".join(lines)
