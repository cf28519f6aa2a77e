"""``python -m bot eval --external``: the shipped stance model measured on public topics it was never fitted on.

Every figure is on the ``test`` part of ``bot.debate.argdata``'s split (motions absent from the fitting data):

* ``pro_con``: accuracy on ArgQ test arguments and held-out Claim Stance claims, overall, on the half the model is
  most confident about, and above the shipped "unsure" threshold (with the share of items it covers);
* ``three_way``: held-out Claim Stance claims (pro / con) with Evidence Sentences test items that are not evidence
  (neutral); evidence items (which argue, side unknown) count as right when not called neutral;
* ``key_points``: ArgKP matching on held-out topics, with the cosine threshold fitted on the fitting topics.

Embeddings of the public texts are cached in the data dir (keyed by the embedding model), so a re-run is quick.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from bot.debate import argdata
from bot.debate.argdata import Item, KeyPointPair
from bot.debate.stance_model import StanceModel, decide, load_model, text_polarities
from bot.embeddings import embed_texts, resolve_model
from bot.files import write_atomic
from bot.settings import Settings, get_settings


def vectors(texts: Sequence[str], settings: Settings) -> dict[str, np.ndarray]:
    """Return the embedding of each distinct text, from the data dir's cache where it has them."""
    key = hashlib.sha256(resolve_model(settings.embedding_model).encode()).hexdigest()[:12]
    path = settings.data_dir / "cache" / f"argdata-vectors-{key}.npz"
    known: dict[str, np.ndarray] = {}
    if path.is_file():
        with np.load(path, allow_pickle=False) as cached:
            known = dict(zip(cached["texts"].tolist(), cached["vectors"], strict=True))
    missing = sorted(set(texts) - set(known))
    if missing:
        known.update(zip(missing, embed_texts(missing, settings), strict=True))
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        np.savez(buffer, texts=np.array(list(known)), vectors=np.stack(list(known.values())))
        write_atomic(path, buffer.getvalue())
    return {t: known[t] for t in texts}


def encoder_scores(texts: Sequence[str], settings: Settings) -> dict[str, float] | None:
    """Return the favour encoder's logit per distinct text (the encoder keeps what it scored beside the model).

    None where the encoder is unavailable (the stance model then runs on its linear part alone).
    """
    from bot.debate.favour import favour_encoder

    encoder = favour_encoder(settings)
    if encoder is None:
        return None
    unique = sorted(set(texts))
    return dict(zip(unique, encoder.logits(unique).tolist(), strict=True))


def predict(
    model: StanceModel, items: Sequence[Item], vecs: dict[str, np.ndarray], scores: dict[str, float] | None = None
) -> np.ndarray:
    """Return (pro, con, neutral) probabilities for items, grouped by motion (``scores``: encoder logits)."""
    out = np.zeros((len(items), 3))
    by_motion: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        by_motion.setdefault(item.motion, []).append(i)
    for motion, rows in by_motion.items():
        texts = [items[i].text for i in rows]
        v = np.stack([vecs[t] for t in texts])
        enc = np.array([scores[t] for t in texts]) if scores is not None else None
        favour = model.favour_logits(texts, v, enc)
        out[rows] = model.probabilities(favour, v, vecs[motion], text_polarities(texts, motion))
    return out


def pro_con_report(model: StanceModel, items: Sequence[Item], probs: np.ndarray) -> dict[str, Any]:
    """Return side accuracy (the neutral probability set aside), on all items and the confident ones."""
    gold = np.array([i.stance for i in items])
    side = probs[:, 0] / np.maximum(probs[:, 0] + probs[:, 1], 1e-12)
    pred = np.where(side >= 0.5, 1, -1)
    conf = np.maximum(side, 1 - side)
    right = pred == gold
    half = conf >= np.median(conf)
    sure = conf >= model.unsure_below
    return {
        "n": len(items),
        "motions": len({i.motion for i in items}),
        "accuracy": _r(right.mean()),
        "accuracy_confident_half": _r(right[half].mean()),
        "accuracy_when_sure": _r(right[sure].mean()) if sure.any() else None,
        "share_sure": _r(sure.mean()),
        "majority_baseline": _r(max((gold == 1).mean(), (gold == -1).mean())),
        "calibration": calibration(conf, right),
        **({"by_target_relation": by_relation(items, right, half)} if any(i.relation for i in items) else {}),
    }


def by_relation(items: Sequence[Item], right: np.ndarray, half: np.ndarray) -> dict[str, dict[str, Any]]:
    """Return accuracy by Claim Stance's target relation: where the side is lost (a diagnostic, not fitted on).

    A claim about a *contrastive* target ("a centrally planned economy provides public goods", on a free-market
    motion) speaks well of the other side's thing: reading its words well gets its side backwards.
    """
    relation = np.array([i.relation for i in items])
    out = {}
    for name, value in (("consistent", 1), ("contrastive", -1), ("unlabelled", 0)):
        sel = relation == value
        if sel.any():
            out[name] = {
                "n": int(sel.sum()),
                "accuracy": _r(right[sel].mean()),
                "share_of_confident_half": _r(half[sel].mean()),
            }
    return out


def calibration(conf: np.ndarray, right: np.ndarray, bins: int = 5) -> list[dict[str, float]]:
    """Return mean confidence against accuracy in equal-width bins from 0.5 to 1 (a reliability table)."""
    edges = np.linspace(0.5, 1.0, bins + 1)
    out = []
    for lo, hi in itertools.pairwise(edges):
        sel = (conf >= lo) & ((conf < hi) | (hi == 1.0))
        if sel.any():
            out.append(
                {
                    "from": _r(lo),
                    "to": _r(hi),
                    "n": int(sel.sum()),
                    "confidence": _r(conf[sel].mean()),
                    "accuracy": _r(right[sel].mean()),
                }
            )
    return out


def three_way_report(claims: Sequence[Item], evidence: Sequence[Item], probs: np.ndarray) -> dict[str, Any]:
    """Return three-way accuracy: claims must get their side, non-evidence neutral, evidence any side."""
    items = [*claims, *evidence]
    pred = decide(probs)
    gold = np.array([{1: "pro", -1: "con", 0: "neutral", 2: "argues"}[i.stance] for i in items])
    right = np.where(gold == "argues", pred != "neutral", pred == gold)
    per = {str(g): {"n": int((gold == g).sum()), "accuracy": _r(right[gold == g].mean())} for g in np.unique(gold)}
    labelled = gold != "argues"
    majority = max((gold[labelled] == g).mean() for g in ("pro", "con", "neutral"))
    return {
        "n": len(items),
        "accuracy": _r(right.mean()),
        "accuracy_labelled": _r(right[labelled].mean()),
        "majority_baseline_labelled": _r(majority),
        "per_class": per,
    }


def key_point_scores(
    pairs: Sequence[KeyPointPair], vecs: dict[str, np.ndarray], model: StanceModel | None = None
) -> np.ndarray:
    """Return each pair's match logit: over the key points its argument is paired with (one set per argument)."""
    model = model or load_model()
    cos = np.array([float(vecs[p.argument] @ vecs[p.key_point]) for p in pairs])
    rows: dict[tuple[str, str], list[int]] = {}
    for k, p in enumerate(pairs):
        rows.setdefault((p.motion, p.argument), []).append(k)
    out = np.zeros(len(pairs))
    for idx in rows.values():
        out[idx] = model.key_point_logits(cos[idx][None, :])[0]
    return out


def key_point_features(pairs: Sequence[KeyPointPair], vecs: dict[str, np.ndarray]) -> np.ndarray:
    """Return (cosine, cosine - the argument's best, is-best) per pair: the features of the key-point matcher."""
    cos = np.array([float(vecs[p.argument] @ vecs[p.key_point]) for p in pairs])
    best: dict[tuple[str, str], float] = {}
    for p, c in zip(pairs, cos, strict=True):
        best[(p.motion, p.argument)] = max(best.get((p.motion, p.argument), -1.0), float(c))
    top = np.array([best[(p.motion, p.argument)] for p in pairs])
    return np.c_[cos, cos - top, cos >= top]


def fit_key_point_matcher(
    pairs: Sequence[KeyPointPair], vecs: dict[str, np.ndarray]
) -> tuple[tuple[float, float, float, float], float]:
    """Fit the matcher's weights (logistic regression) and the logit threshold that maximises match F1."""
    from sklearn.linear_model import LogisticRegression

    x, gold = key_point_features(pairs, vecs), np.array([p.match for p in pairs])
    m = LogisticRegression(C=1.0, max_iter=5000).fit(x, gold)
    weights = (float(m.coef_[0, 0]), float(m.coef_[0, 1]), float(m.coef_[0, 2]), float(m.intercept_[0]))
    logits = m.decision_function(x)
    grid = np.round(np.arange(-3.0, 3.0, 0.05), 2)
    return weights, float(max(grid, key=lambda t: _f1(logits >= t, gold)))


def key_point_report(
    pairs: Sequence[KeyPointPair], vecs: dict[str, np.ndarray], threshold: float, model: StanceModel | None = None
) -> dict[str, Any]:
    """Return match accuracy, precision, recall and F1 at the threshold, and the best key point's precision."""
    sims, gold = key_point_scores(pairs, vecs, model), np.array([p.match for p in pairs])
    pred = sims >= threshold
    best: dict[str, tuple[float, bool]] = {}
    for p, s in zip(pairs, sims, strict=True):
        key = f"{p.motion}\n{p.argument}"
        if key not in best or s > best[key][0]:
            best[key] = (float(s), p.match)
    tp = int((pred & gold).sum())
    return {
        "pairs": len(pairs),
        "motions": len({p.motion for p in pairs}),
        "threshold": threshold,
        "accuracy": _r((pred == gold).mean()),
        "precision": _r(tp / max(int(pred.sum()), 1)),
        "recall": _r(tp / max(int(gold.sum()), 1)),
        "f1": _r(_f1(pred, gold)),
        "top1_precision": _r(np.mean([m for _, m in best.values()])),
        "positive_share": _r(gold.mean()),
    }


def _f1(pred: np.ndarray, gold: np.ndarray) -> float:
    tp = float((pred & gold).sum())
    return 2 * tp / max(float(pred.sum() + gold.sum()), 1.0)


def _r(x: Any) -> float:
    return round(float(x), 3)


def evaluate_external(
    settings: Settings | None = None, model: StanceModel | None = None, *, every: int = 1
) -> dict[str, Any]:
    """Measure the stance model on the held-out public topics; raises ArgDataMissing without the data.

    ``every`` > 1 keeps every n-th item of each held-out set (a quick smoke run; the README's figures use 1).
    """
    began = time.perf_counter()
    settings = settings or get_settings()
    model = model or load_model()
    argq = [i for i in argdata.argq(settings) if i.split == "test"][::every]
    claims = [i for i in argdata.claims(settings) if i.split == "test"][::every]
    evidence = [i for i in argdata.evidence(settings) if i.split == "test"][::every]
    pairs = [p for p in argdata.key_points(settings) if p.split == "test"][::every]
    texts = {t for i in (*argq, *claims, *evidence) for t in (i.text, i.motion)}
    texts |= {t for p in pairs for t in (p.argument, p.key_point)}
    vecs = vectors(sorted(texts), settings)
    scores = encoder_scores(sorted({i.text for i in (*argq, *claims, *evidence)}), settings)
    threshold = float(model.key_point_threshold)
    return {
        "attribution": argdata.ATTRIBUTION,
        "favour_encoder": scores is not None,
        "pro_con": {
            "argq_test": pro_con_report(model, argq, predict(model, argq, vecs, scores)),
            "claim_stance_heldout": pro_con_report(model, claims, predict(model, claims, vecs, scores)),
        },
        "three_way": three_way_report(claims, evidence, predict(model, [*claims, *evidence], vecs, scores)),
        "key_points": key_point_report(pairs, vecs, threshold, model),
        "seconds": round(time.perf_counter() - began, 1),
    }


def format_external(result: dict[str, Any]) -> str:
    """Return the external report as a short table for the terminal."""
    encoder = result.get("favour_encoder")
    used = "with its favour encoder" if encoder else "on its linear part alone (the favour encoder is unavailable)"
    lines = [f"Stance model on held-out public motions (never fitted on), {used}", ""]
    for name, r in result["pro_con"].items():
        lines.append(
            f"pro/con  {name:<22} n={r['n']:<5} motions={r['motions']:<3} accuracy {r['accuracy']:.3f}  "
            f"confident half {r['accuracy_confident_half']:.3f}  when sure {r['accuracy_when_sure']} "
            f"({r['share_sure']:.0%} of items)  majority {r['majority_baseline']:.3f}"
        )
        parts = [f"{k} {v['accuracy']:.3f} (n={v['n']})" for k, v in r.get("by_target_relation", {}).items()]
        if parts:
            lines.append(f"         {name:<22} by target relation: " + ", ".join(parts))
    tw = result["three_way"]
    lines.append(
        f"three-way (claims + evidence sentences) n={tw['n']} accuracy {tw['accuracy']:.3f}  labelled only "
        f"{tw['accuracy_labelled']:.3f} (majority {tw['majority_baseline_labelled']:.3f})"
    )
    kp = result["key_points"]
    lines.append(
        f"key points (ArgKP, {kp['motions']} motions, {kp['pairs']} pairs) F1 {kp['f1']:.3f}  accuracy "
        f"{kp['accuracy']:.3f}  top-1 precision {kp['top1_precision']:.3f}  threshold {kp['threshold']}"
    )
    lines += ["", result["attribution"]]
    return "\n".join(lines)
