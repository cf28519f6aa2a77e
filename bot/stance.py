"""Stance of a passage toward a motion: pro, con or neutral, with a signed score (> 0 leans pro).

With an LLM configured (``BOT_LLM``) the model is asked (``prompts/stance.md``) and must answer with one word;
any other reply falls back to the offline verdict for that passage and is counted in ``method``.

Offline (the default) the verdict is a weighted sum of four signals, each scaled by its spread on the dev split:

1. *contentions*: cosine similarity of the passage to each side's contentions (mean of the two best per side),
   pro minus con, with the shipped embedding model;
2. *cues*: words that praise the policy's results (record low, safest, approval, improved, tourism...) minus
   words of critique and harm (arbitrary, torture, deaths in custody, undercount, not verified...), with a
   denial ("no torture") counting for the policy; at most two of each kind;
3. *voice*: whether the sentence reports the government speaking (president, minister, officials) or its
   critics (rights groups, opposition, analysts);
4. *leaning*: the source's ``leaning`` from its front matter, at half weight.

A passage that says outright "for the pro/con side" is taken at its word. Cues, voice and leaning describe the
policy, so they are oriented by the motion: when the motion's pro contentions carry the critique cues (a motion
against the policy) they are flipped. The weights and the neutral band were chosen on the ``dev`` split of the
stance items in ``tests/eval`` (never on ``test``); ``evaluate_stance`` measures any split. Measured on the
shipped eval set: about 0.83 accuracy on dev and 0.66 on test; the neutral class and sentences that quote one
side inside a source of the other are the usual misses, so treat a card's stance as a suggestion to check.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.chunking import split_sentences
from bot.errors import BotError, NotFoundError
from bot.manifest import list_sources, manifest_version, source_text
from bot.motions import Motion, default_motion
from bot.settings import Settings, get_settings
from bot.types import Stance

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from bot.evalset import StanceItem

OFFLINE = "offline: contentions + cues + voice + leaning"

# Signal weights: 1 / (standard deviation of the signal on the dev split), leaning at half weight.
W_CONTENTIONS = 1 / 0.107
W_CUES = 1 / 1.068
W_VOICE = 1 / 0.680
W_LEANING = 0.5
NEUTRAL_BAND = 0.75
"""|raw score| below this is neutral; the reported score is raw / NEUTRAL_BAND, so |score| >= 1 means a side."""

_FLAGS = re.I | re.X


def _words(body: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{body})\b", _FLAGS)


CRITIQUE = _words(
    r"""arbitrar\w* | without\s+(?:a\s+)?(?:warrants?|trial|charges?|due\s+process) | due\s+process | tortur\w*
    | ill-treatment | abus\w* | mistreat\w* | inhumane | innocent | (?:deaths?|died)\s+(?:\w+\s+){0,3}custody
    | sexual\s+violence | violat\w* | criticis\w* | criticiz\w* | condemn\w* | concern\w* | anti-democratic
    | authoritarian | erosion | unconstitutional | unsustainable | not\s+sustainable | undercount\w*
    | (?:does|do|did)\s+not\s+include | exclud\w* | lack\s+of | no\s+independent
    | not\s+(?:been\s+)?(?:independently\s+)?(?:verified|confirmed) | opaque | conceal\w* | secret | negotiat\w*
    | warn\w* | fear\w* | no\s+(?:\w+\s+)?criminal\s+record | mass\s+graves? | unmarked | disappear\w*
    | may\s+amount | suspend\w*\s+(?:\w+\s+){0,2}(?:rights|guarantees) | curtail\w* | restrict\w*
    | no\s+longer\s+justified | illegal | unlawful | excessive | raids? | indiscriminate"""
)
SUCCESS = _words(
    r"""record\s+low | lowest | safest | safe | safer | reduc\w* | fell | fallen | drop\w* | declin\w* | approv\w*
    | popular\w* | support\w* | re-?elect\w* | landslide | victory | win | secure | compl(?:y|ies)\s+with
    | improv\w* | cop(?:y|ied|ying) | emulat\w* | model | touris\w* | visitors | earnings | invest\w*
    | relieve\w* | restor\w* | freedom | freely | success\w*"""
)
DENIAL = _words(r"(?:no|deny|denies|denied)\s+(?:\w+\s+){0,2}(?:torture|abuse|ill-treatment)")
GOVERNMENT = _words(
    r"government | bukele | president | minister | ministry | officials? | authorities | commissioner | state's\s+own"
)
CRITICS = _words(
    r"""amnesty | human\s+rights\s+watch | cristosal | rights\s+(?:groups|organi[sz]ations) | critics | opposition
    | analysts | opponents"""
)
SIDE_SAID = _words(r"for\s+the\s+(pro|con)\s+side")


@dataclass(frozen=True)
class StanceResult:
    """A stance verdict: the label, a signed score (> 0 leans pro, |score| >= 1 is decisive) and how it was made."""

    stance: Stance
    score: float
    method: str


def cue_counts(text: str) -> tuple[float, float, float]:
    """Return the motion-independent cue signals of a text: (success - critique, government - critics, side said)."""
    denials = len(DENIAL.findall(text))
    critique = max(len(CRITIQUE.findall(text)) - denials, 0)
    success = len(SUCCESS.findall(text)) + denials
    voice = float(bool(GOVERNMENT.search(text))) - float(bool(CRITICS.search(text)))
    said = SIDE_SAID.search(text)
    side = 0.0 if said is None else (1.0 if said.group(1).lower() == "pro" else -1.0)
    return float(min(success, 2) - min(critique, 2)), voice, side


def leaning_value(leaning: str) -> float:
    """Return +1 for a pro-leaning source, -1 for a con-leaning one, 0 otherwise."""
    return {"pro": 1.0, "con": -1.0}.get(leaning.strip().lower(), 0.0)


@dataclass(frozen=True)
class MotionModel:
    """What the offline method needs to know about a motion: contention vectors and the cues' orientation."""

    motion: Motion
    pro: np.ndarray
    con: np.ndarray
    orientation: float

    @classmethod
    def build(cls, motion: Motion, settings: Settings) -> MotionModel:
        """Embed the motion's contentions and orient the policy cues by them."""
        from bot.embeddings import embed_texts

        def embed(claims: list[str]) -> np.ndarray:
            return embed_texts(claims, settings) if claims else np.zeros((0, 1), dtype=np.float32)

        pro, con = embed([c.claim for c in motion.pro]), embed([c.claim for c in motion.con])
        lean = sum(cue_counts(c.claim)[0] for c in motion.pro) - sum(cue_counts(c.claim)[0] for c in motion.con)
        return cls(motion, pro, con, -1.0 if lean < 0 else 1.0)

    def contention_margin(self, vectors: np.ndarray) -> np.ndarray:
        """Return, per row, the mean of the two best pro similarities minus the same for con (0 if a side is empty)."""
        if not len(self.pro) or not len(self.con) or not len(vectors):
            return np.zeros(len(vectors))
        return _top2(vectors @ self.pro.T) - _top2(vectors @ self.con.T)

    def scores(self, vectors: np.ndarray, cues: np.ndarray, leanings: np.ndarray) -> np.ndarray:
        """Return normalised offline scores; ``cues`` rows are ``cue_counts``, ``leanings`` are ``leaning_value``s."""
        return W_CONTENTIONS * self.contention_margin(vectors) / NEUTRAL_BAND + self.policy(cues, leanings)

    def policy(self, cues: np.ndarray, leanings: np.ndarray) -> np.ndarray:
        """Return the part of the normalised score that does not come from the contentions: cues, voice, leaning."""
        raw = self.orientation * (W_CUES * cues[:, 0] + W_VOICE * cues[:, 1] + W_LEANING * leanings)
        return np.asarray(raw + 5 * NEUTRAL_BAND * cues[:, 2], dtype=np.float64) / NEUTRAL_BAND


def _top2(sims: np.ndarray) -> np.ndarray:
    k = min(2, sims.shape[1])
    return np.asarray(np.sort(sims, axis=1)[:, -k:].mean(axis=1))


def label(score: float) -> Stance:
    """Return the stance of a normalised score (|score| < 1 is neutral)."""
    return "pro" if score >= 1 else "con" if score <= -1 else "neutral"


def _offline(
    texts: Sequence[str], leanings: Sequence[str], model: MotionModel, settings: Settings, vectors: np.ndarray | None
) -> list[StanceResult]:
    from bot.embeddings import embed_texts

    if not texts:
        return []
    vecs = embed_texts(list(texts), settings) if vectors is None else vectors
    cues = np.array([cue_counts(t) for t in texts], dtype=np.float64)
    scores = model.scores(vecs, cues, np.array([leaning_value(x) for x in leanings]))
    return [StanceResult(label(float(s)), round(float(s), 3), OFFLINE) for s in scores]


def classify(
    texts: Sequence[str],
    motion: Motion | None = None,
    *,
    leanings: Sequence[str] | None = None,
    vectors: np.ndarray | None = None,
    settings: Settings | None = None,
) -> list[StanceResult]:
    """Return the stance of each text toward the motion (default: the motions file's default motion).

    ``leanings`` are the sources' front-matter leanings ("" when unknown); ``vectors`` are the texts' embeddings
    when the caller has them. With an LLM configured the model decides and the offline verdict is the fallback.
    """
    settings = settings or get_settings()
    motion = motion or default_motion(settings)
    leanings = list(leanings) if leanings is not None else [""] * len(texts)
    offline = _offline(texts, leanings, motion_model(motion, settings), settings, vectors)
    from bot.llm import make_chat_model

    chat = make_chat_model(settings)
    if chat is None or not texts:
        return offline
    return ask_stance(chat, texts, motion, offline, settings)


def stance(
    text: str, motion: Motion | None = None, *, source_id: str | None = None, settings: Settings | None = None
) -> StanceResult:
    """Return the stance of one passage; ``source_id`` lends the source's leaning to the offline method."""
    settings = settings or get_settings()
    leaning = source_leanings(settings).get(source_id, "") if source_id else ""
    return classify([text], motion, leanings=[leaning], settings=settings)[0]


def _bullets(motion: Motion, side: str) -> str:
    claims = [c.claim for c in (motion.pro if side == "pro" else motion.con)]
    return "\n".join(f"- {c}" for c in claims) or "- (none given)"


_REPLY_WORD = re.compile(r"[a-z]+")


def parse_stance(reply: str) -> Stance | None:
    """Return the one stance word of a reply, or None when it names none or several."""
    found = {w for w in _REPLY_WORD.findall(reply.lower()) if w in ("pro", "con", "neutral")}
    return found.pop() if len(found) == 1 else None


def ask_stance(
    chat: BaseChatModel, texts: Sequence[str], motion: Motion, fallback: list[StanceResult], settings: Settings
) -> list[StanceResult]:
    """Ask the model the stance of each text; a malformed reply keeps that text's fallback verdict."""
    from bot.llm import model_name
    from bot.prompts import load_prompt

    prompt = load_prompt("stance", settings)
    pro, con = _bullets(motion, "pro"), _bullets(motion, "con")
    prompts = [prompt.render(motion=motion.text, pro=pro, con=con, passage=t) for t in texts]
    name = f"llm: {model_name(settings)}"
    out = []
    for reply, offline in zip(llm_replies(chat, prompts, settings), fallback, strict=True):
        word = parse_stance(reply)
        if word is None:
            out.append(StanceResult(offline.stance, offline.score, f"{name} (unreadable reply; offline verdict)"))
        else:
            out.append(StanceResult(word, {"pro": 1.0, "con": -1.0, "neutral": 0.0}[word], name))
    return out


def llm_replies(chat: BaseChatModel, prompts: Sequence[str], settings: Settings) -> list[str]:
    """Send each prompt to the chat model (a few at a time) and return the replies' text."""
    from bot.llm import describe_error

    if not prompts:
        return []
    try:
        messages = chat.batch(list(prompts), config={"max_concurrency": settings.debate_llm_concurrency})
    except BotError:
        raise
    except Exception as exc:  # the provider's own error types
        raise describe_error(exc, settings) from exc
    return [_content(m) for m in messages]


def _content(message: Any) -> str:
    content = getattr(message, "content", message)
    if isinstance(content, list):  # content blocks
        content = "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return str(content).strip()


# --- cached tables: per motion, and every sentence of the index ---------------------------------------------


_LOCK = threading.Lock()
_MOTIONS: dict[tuple[Motion, str], MotionModel] = {}


def motion_model(motion: Motion, settings: Settings) -> MotionModel:
    """Return the (cached) offline model of a motion."""
    key = (motion, settings.embedding_model)
    cached = _MOTIONS.get(key)
    if cached is None:
        cached = MotionModel.build(motion, settings)
        with _LOCK:
            if len(_MOTIONS) > 64:
                _MOTIONS.clear()
            _MOTIONS[key] = cached
    return cached


def source_leanings(settings: Settings) -> dict[str, str]:
    """Return every ingested source's front-matter leaning by id."""
    return {s.id: s.leaning for s in list_sources(settings)}


MIN_SENTENCE_CHARS = 25
_ENDS_SENTENCE = re.compile(r"[.!?…][\"'”’)\]]*$")


@dataclass
class SentenceTable:
    """Every usable sentence of the index: offsets, paragraph, embedding, cue signals and source leaning."""

    version: tuple[int, int]
    source_ids: list[str]
    starts: np.ndarray
    ends: np.ndarray
    paragraphs: np.ndarray
    texts: list[str]
    vectors: np.ndarray
    cues: np.ndarray
    leanings: np.ndarray
    rows_by_source: dict[str, np.ndarray]
    _stances: dict[tuple[Motion, str], np.ndarray]

    def scores(self, motion: Motion, settings: Settings) -> np.ndarray:
        """Return the offline stance score of every sentence toward a motion (cached per motion)."""
        key = (motion, "score")
        if key not in self._stances:
            self._stances[key] = motion_model(motion, settings).scores(self.vectors, self.cues, self.leanings)
        return self._stances[key]

    def policy_scores(self, motion: Motion, settings: Settings) -> np.ndarray:
        """Return the part of each sentence's score from cues, voice and leaning (see MotionModel.policy)."""
        key = (motion, "policy")
        if key not in self._stances:
            self._stances[key] = motion_model(motion, settings).policy(self.cues, self.leanings)
        return self._stances[key]


_TABLES: dict[str, SentenceTable] = {}
_VECTORS: dict[tuple[str, str], np.ndarray] = {}


def sentence_table(settings: Settings | None = None) -> SentenceTable:
    """Return the sentence table of the current index (rebuilt when the manifest changes)."""
    settings = settings or get_settings()
    key = str(settings.data_dir)
    version = manifest_version(settings)
    cached = _TABLES.get(key)
    if cached is not None and cached.version == version:
        return cached
    with _LOCK:
        cached = _TABLES.get(key)
        if cached is None or cached.version != version:
            cached = _build_table(settings, version)
            _TABLES[key] = cached
        return cached


def _build_table(settings: Settings, version: tuple[int, int]) -> SentenceTable:
    from bot.embeddings import embed_texts, resolve_model

    sids: list[str] = []
    spans: list[tuple[int, int, int]] = []
    texts: list[str] = []
    leanings: list[float] = []
    rows_by_source: dict[str, np.ndarray] = {}
    for info in list_sources(settings):
        text = source_text(info.id, settings)
        first = len(texts)
        breaks = np.array([m.start() for m in re.finditer("\n", text)], dtype=np.int64)
        for start, end in split_sentences(text):
            sentence = text[start:end]
            if len(sentence) < MIN_SENTENCE_CHARS or not _ENDS_SENTENCE.search(sentence):
                continue  # headings, captions and link lines are not evidence
            sids.append(info.id)
            spans.append((start, end, int(np.searchsorted(breaks, start))))
            texts.append(sentence)
            leanings.append(leaning_value(info.leaning))
        rows_by_source[info.id] = np.arange(first, len(texts))
    model_key = resolve_model(settings.embedding_model)
    missing = [t for t in dict.fromkeys(texts) if (model_key, t) not in _VECTORS]
    if missing:
        for t, v in zip(missing, embed_texts(missing, settings), strict=True):
            _VECTORS[(model_key, t)] = v
    dim = next(iter(_VECTORS.values())).shape[0] if _VECTORS else 1
    vectors = np.stack([_VECTORS[(model_key, t)] for t in texts]) if texts else np.zeros((0, dim), np.float32)
    arr = np.asarray(spans, dtype=np.int64).reshape(-1, 3)
    return SentenceTable(
        version=version,
        source_ids=sids,
        starts=arr[:, 0],
        ends=arr[:, 1],
        paragraphs=arr[:, 2],
        texts=texts,
        vectors=vectors,
        cues=np.array([cue_counts(t) for t in texts], dtype=np.float64).reshape(-1, 3),
        leanings=np.asarray(leanings, dtype=np.float64),
        rows_by_source=rows_by_source,
        _stances={},
    )


# --- evaluation ------------------------------------------------------------------------------------------------


def evaluate_stance(items: Sequence[StanceItem], settings: Settings | None = None) -> dict[str, Any]:
    """Measure stance accuracy on labelled items (toward the default motion): overall, per class, per split."""
    settings = settings or get_settings()
    leanings = source_leanings(settings)
    missing = sorted({i.source for i in items} - set(leanings))
    if missing:
        raise NotFoundError(
            f"Stance items cite sources that are not ingested: {', '.join(missing)}.", "Run `python -m bot ingest`."
        )
    results = classify(
        [i.text for i in items],
        default_motion(settings),
        leanings=[leanings[i.source] for i in items],
        settings=settings,
    )
    gold = [i.stance for i in items]
    pred = [r.stance for r in results]

    def accuracy(pairs: Sequence[tuple[str, str]]) -> float:
        return round(sum(g == p for g, p in pairs) / len(pairs), 3) if pairs else 0.0

    pairs = list(zip(gold, pred, strict=True))
    methods = sorted({r.method for r in results})
    return {
        "method": methods[0] if len(methods) == 1 else "; ".join(methods),
        "n": len(items),
        "accuracy": accuracy(pairs),
        "per_class": {c: {"n": gold.count(c), "accuracy": accuracy([x for x in pairs if x[0] == c])} for c in _CLASSES},
        "per_split": {
            s: {"n": len(sub), "accuracy": accuracy(sub)}
            for s in ("dev", "test")
            if (sub := [x for x, i in zip(pairs, items, strict=True) if i.split == s])
        },
        "confusion": {g: {p: sum(x == (g, p) for x in pairs) for p in _CLASSES} for g in _CLASSES},
        "wrong": [
            {"id": i.id, "gold": i.stance, "predicted": r.stance, "score": r.score}
            for i, r in zip(items, results, strict=True)
            if i.stance != r.stance
        ],
    }


_CLASSES: tuple[Stance, ...] = ("pro", "con", "neutral")
