"""Stance of a passage toward any motion: pro, con or not an argument, with a calibrated confidence.

Offline (the default) the verdict comes from the stance model in ``bot.debate.stance_model``, fitted on public argument
data over dozens of motions (``make train``; scores on held-out motions in ``bot/data/STANCE_MODEL.md``). It needs
nothing but the motion's text; contentions, when a motions file or the user gives them, add each side's
contention margin to the side logit. No topic lexicon, no source leaning.

With an LLM configured (``BOT_LLM``) the model is asked (``prompts/stance.md``) and must answer with one word;
any other reply keeps the offline verdict for that passage and is counted in ``method``.

Every verdict carries ``confidence`` (the probability of its label) and ``side_confidence`` (the probability of the
likelier side, given that the passage argues at all); ``unsure`` is set when that side probability is below the
model's threshold, so the UI shows "side unsure" rather than a guess.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.debate.favour import encoder_logits
from bot.debate.motions import Motion, default_motion
from bot.debate.stance_model import StanceModel, attacks, decide, load_model, text_polarities
from bot.embeddings import embed_query, embed_texts
from bot.errors import NotFoundError
from bot.evalset import StanceItem
from bot.files import VersionedCache
from bot.llm import llm_replies, make_chat_model, model_name
from bot.manifest import list_sources
from bot.prompts import load_prompt
from bot.settings import Settings, get_settings
from bot.types import Stance

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

OFFLINE = "offline: stance model fitted on IBM Debater data (bot/data/STANCE_MODEL.md)"
LABELS: tuple[Stance, Stance, Stance] = ("pro", "con", "neutral")


@dataclass(frozen=True)
class StanceResult:
    """A stance verdict: the label, a signed score (P(pro) - P(con)), how it was made and how sure it is."""

    stance: Stance
    score: float
    method: str
    confidence: float = 1.0
    """Probability that the passage argues (for a side) or does not (for neutral)."""
    side_confidence: float = 1.0
    """Probability of the likelier side, given that the passage argues."""
    unsure: bool = False
    """The likelier side is below the model's threshold: show "side unsure"."""
    side: Stance = "neutral"
    """The likelier side ("pro" or "con"), also when ``stance`` is neutral."""


@dataclass(frozen=True)
class MotionSignals:
    """What the model needs of a motion: its vector and its given contentions' vectors."""

    vector: np.ndarray
    pro: np.ndarray
    con: np.ndarray

    def margins(self, vectors: np.ndarray) -> np.ndarray | None:
        """Return each text's best cosine to a pro contention minus its best to a con one (None without both)."""
        if not len(self.pro) or not len(self.con):
            return None
        return np.asarray((vectors @ self.pro.T).max(axis=1) - (vectors @ self.con.T).max(axis=1))


_MOTIONS: VersionedCache[MotionSignals] = VersionedCache(maxsize=64)


def motion_signals(motion: Motion, settings: Settings) -> MotionSignals:
    """Return the (cached) vectors of a motion and of its given contentions."""
    # Discovered contentions are the model's own picks: as margins they would only echo its verdicts.
    given = Motion(
        motion.id, motion.text, *(tuple(c for c in side if c.origin == "given") for side in (motion.pro, motion.con))
    )
    pro, con = [c.claim for c in given.pro], [c.claim for c in given.con]
    return _MOTIONS.get(
        given,
        settings.embedding_model,
        lambda: MotionSignals(
            vector=embed_query(motion.text, settings),
            pro=embed_texts(pro, settings) if pro else np.zeros((0, 1)),
            con=embed_texts(con, settings) if con else np.zeros((0, 1)),
        ),
    )


def probabilities(
    texts: Sequence[str], vectors: np.ndarray, motion: Motion, settings: Settings, favour: np.ndarray | None = None
) -> np.ndarray:
    """Return (pro, con, neutral) probabilities of texts toward a motion; ``favour`` when precomputed."""
    model = load_model()
    signals = motion_signals(motion, settings)
    if favour is None:
        favour = model.favour_logits(texts, vectors, encoder_logits(texts, settings))
    polarity = text_polarities(texts, motion.text)
    margins = signals.margins(vectors)
    if margins is not None:  # an attack on a side's people is near that side's contentions, not on their side
        margins = np.where(attacks(texts) != 0, 0.0, margins)
    return model.probabilities(favour, vectors, signals.vector, polarity, margins)


def verdicts(probs: np.ndarray, method: str = OFFLINE, model: StanceModel | None = None) -> list[StanceResult]:
    """Turn rows of (pro, con, neutral) probabilities into verdicts."""
    threshold = (model or load_model()).unsure_below
    out = []
    for (pro, con, neutral), label in zip(probs.tolist(), decide(probs).tolist(), strict=True):
        side_p = round(max(pro, con) / max(pro + con, 1e-12), 3)  # unsure is judged on the figure shown
        out.append(
            StanceResult(
                stance=label,
                score=round(pro - con, 4),
                method=method,
                confidence=round(neutral if label == "neutral" else 1 - neutral, 3),
                side_confidence=side_p,
                unsure=side_p < threshold,
                side="pro" if pro >= con else "con",
            )
        )
    return out


def classify(
    texts: Sequence[str],
    motion: Motion | None = None,
    *,
    vectors: np.ndarray | None = None,
    settings: Settings | None = None,
    leanings: Sequence[str] | None = None,
) -> list[StanceResult]:
    """Return the stance of each text toward the motion (default: the motions file's default motion).

    ``vectors`` are the texts' embeddings when the caller has them. With an LLM configured the model decides and
    the offline verdict is the fallback. ``leanings`` is accepted so that earlier callers keep working, and
    ignored: a source's overall leaning says nothing about one passage.
    """
    settings = settings or get_settings()
    motion = motion or default_motion(settings)
    if not texts:
        return []
    vecs = embed_texts(list(texts), settings) if vectors is None else vectors
    offline = verdicts(probabilities(texts, vecs, motion, settings))
    chat = make_chat_model(settings)
    if chat is None:
        return offline
    return ask_stance(chat, texts, motion, offline, settings)


def stance(
    text: str, motion: Motion | None = None, *, settings: Settings | None = None, source_id: str | None = None
) -> StanceResult:
    """Return the stance of one passage toward the motion (``source_id`` is accepted and ignored, as ``leanings``)."""
    return classify([text], motion, settings=settings)[0]


def describe(result: StanceResult) -> str:
    """Return a verdict as a debater reads it: "likely pro (0.82)", "side unsure (pro 0.55)", "not an argument"."""
    if result.stance == "neutral":
        return f"not an argument for either side ({result.confidence:.2f})"
    if result.unsure:
        return f"side unsure ({result.side} {result.side_confidence:.2f})"
    return f"likely {result.stance} ({result.side_confidence:.2f})"


# --- the LLM path --------------------------------------------------------------------------------------------


def _bullets(motion: Motion, side: str) -> str:
    claims = [c.claim for c in (motion.pro if side == "pro" else motion.con)]
    return "\n".join(f"- {c}" for c in claims) or "- (none given)"


_REPLY_WORD = re.compile(r"[a-z]+")


def parse_stance(reply: str) -> Stance | None:
    """Return the one stance word of a reply, or None when it names none or several."""
    found = {w for w in _REPLY_WORD.findall(reply.lower()) if w in LABELS}
    return found.pop() if len(found) == 1 else None


def ask_stance(
    chat: BaseChatModel, texts: Sequence[str], motion: Motion, fallback: list[StanceResult], settings: Settings
) -> list[StanceResult]:
    """Ask the model the stance of each text; a malformed reply keeps that text's fallback verdict."""
    from dataclasses import replace

    prompt = load_prompt("stance", settings)
    pro, con = _bullets(motion, "pro"), _bullets(motion, "con")
    prompts = [prompt.render(motion=motion.text, pro=pro, con=con, passage=t) for t in texts]
    name = f"llm: {model_name(settings)}"
    out = []
    for reply, offline in zip(llm_replies(chat, prompts, settings, task="stance"), fallback, strict=True):
        word = parse_stance(reply)
        if word is None:
            out.append(replace(offline, method=f"{name} (unreadable reply; offline verdict)"))
        else:
            side: Stance = word if word != "neutral" else offline.side
            out.append(StanceResult(word, {"pro": 1.0, "con": -1.0, "neutral": 0.0}[word], name, 1.0, 1.0, False, side))
    return out


# --- evaluation ------------------------------------------------------------------------------------------------


def evaluate_stance(items: Sequence[StanceItem], settings: Settings | None = None) -> dict[str, Any]:
    """Measure stance accuracy on labelled items (toward the default motion): overall, per class, per split."""
    settings = settings or get_settings()
    known = {s.id for s in list_sources(settings)}
    missing = sorted({i.source for i in items} - known)
    if missing:
        raise NotFoundError(
            f"Stance items cite sources that are not ingested: {', '.join(missing)}.", "Run `python -m bot ingest`."
        )
    results = classify([i.text for i in items], default_motion(settings), settings=settings)

    def report(idx: Sequence[int]) -> dict[str, Any]:
        pairs = [(items[k].stance, results[k].stance) for k in idx]
        sided = [(items[k].stance, results[k].side) for k in idx if items[k].stance != "neutral"]
        return {"n": len(idx), "accuracy": _accuracy(pairs), "side_accuracy": _accuracy(sided)}

    everything = range(len(items))
    methods = sorted({r.method for r in results})
    return {
        "method": methods[0] if len(methods) == 1 else "; ".join(methods),
        **report(everything),
        "per_class": {c: report([k for k in everything if items[k].stance == c]) for c in LABELS},
        "per_split": {
            s: report(idx) for s in ("dev", "test") if (idx := [k for k in everything if items[k].split == s])
        },
        "confusion": {
            g: {p: sum(items[k].stance == g and results[k].stance == p for k in everything) for p in LABELS}
            for g in LABELS
        },
        "wrong": [
            {"id": i.id, "gold": i.stance, "predicted": r.stance, "confidence": r.confidence}
            for i, r in zip(items, results, strict=True)
            if i.stance != r.stance
        ],
    }


def _accuracy(pairs: Sequence[tuple[str, str]]) -> float:
    return round(sum(g == p for g, p in pairs) / len(pairs), 3) if pairs else 0.0
