"""The offline stance model: pro / con / not an argument toward any motion, from the motion's text alone.

It is fitted by ``tools/train_stance.py`` (``make train``) on public argument data (IBM Debater datasets, see
``bot/data/STANCE_MODEL.md`` for the files, the licence line and the held-out scores) and shipped as two small
files in ``bot/data``. It has three parts, each a linear model, so it runs in microseconds per passage:

1. *Motion polarity* (a rule on the motion's wording, not fitted): does the motion favour its subject ("We should
   adopt X", "X is justified", +1) or act against it ("We should ban X", "X should be abolished", "X brings more
   harm than good", -1)? A negation ("should not") flips it.
2. *Favour*: does the passage speak well (+) or ill (-) of the motion's subject? A logistic model over the passage's
   MiniLM embedding and its word uni/bigrams (TF-IDF). Trained with labels ``stance * polarity``, so one model serves
   every motion; the passage's side is ``favour * polarity``. This is the target / sentiment decomposition of IBM's
   claim-stance work (Bar-Haim et al., EACL 2017), minus the contrast relation it could not learn here. One of
   their sentiment *shifters* is read (``shift_fallen``): a sentence that says a clearly ill thing fell
   ("Homicides fell ...") speaks at least as well as that thing, read alone, speaks ill.
3. *Argument*: is the passage an argument at all (evidence for or against a side) or neutral reporting? A logistic
   model over the embedding and its cosine to the motion.

With contentions given (a motion file, or the user's), the side logit also takes each side's contention margin
(best cosine to a pro contention minus best to a con one), with a weight fitted on ArgKP key points. The three
probabilities are ``P(pro) = P(arg) * P(side=pro)`` and so on; they are calibrated (temperatures fitted on
held-out topics), so "likely pro (0.82)" means what it says and ``unsure`` can be shown.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.errors import ConfigError

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
WEIGHTS_FILE = DATA_DIR / "stance_model.npz"
VOCAB_FILE = DATA_DIR / "stance_vocab.json"

# --- 1. motion polarity -----------------------------------------------------------------------------------------

_AGAINST = (
    r"ban|prohibit|outlaw|abolish|abandon|end|stop|limit|restrict|reduce|cut|criminali[sz]e|oppose|fight(?!\s+for\b)"
    r"|cancel|close|disband|remove|eliminate|phase[\s-]+out|scrap|repeal|forbid|curb|penali[sz]e|punish|decrease"
    r"|lower|withdraw|leave|exit|boycott|sanction|suspend|deny|refuse|reject|discourage|lift|halt|resist|condemn"
    r"|replace|avoid|discontinue|dismantle|revoke|overturn|defund|shut|tax|dissolve|break\s+up|oppose|cap"
    r"|banned|prohibited|outlawed|abolished|abandoned|ended|stopped|limited|restricted|reduced|criminali[sz]ed"
    r"|cancell?ed|closed|disbanded|removed|eliminated|phased\s+out|scrapped|repealed|forbidden|curbed|penali[sz]ed"
    r"|punished|decreased|lowered|boycotted|sanctioned|suspended|denied|refused|rejected|discouraged|halted"
    r"|condemned|replaced|avoided|discontinued|dismantled|revoked|overturned|defunded|shut\s+down|taxed|dissolved"
    r"|broken\s+up|capped"
    r"|illegal|unlawful|a\s+criminal\s+offen[cs]e|criminal|harmful|wrong|unjustified|unjust|unacceptable|bad"
    r"|immoral|unethical|dangerous|counterproductive|a\s+mistake|a\s+failure|failed|held\s+liable|unconstitutional"
)
_GERUND = (
    r"(?:clos|reduc|remov|eliminat|replac|revok|discourag|criminali[sz]|penali[sz]|decreas|refus|leav|dismantl"
    r"|discontinu|phas)ing"
)
_AGAINST_WORD = re.compile(rf"^(?:(?:{_AGAINST})(?:[a-z]?ing)?|{_GERUND})\b", re.I)
_AGAINST_NOUN = re.compile(
    r"^(?:the\s+)?(?:abolition|ban(?:ning)?|prohibition|end(?:ing)?|phase[\s-]+out|removal|elimination|closure"
    r"|repeal)\b",
    re.I,
)
_AGAINST_PREDICATE = re.compile(
    r"\b(?:more\s+harm\s+than\s+good|harmful|(?:is|are)\s+(?:bad|wrong)|unjustified|a\s+failure|counterproductive"
    r"|does\s+not\s+work|has\s+failed|immoral|unethical"
    r"|(?:is|was|are|were|has\s+been|have\s+been)\s+(?:a\s+|an\s+)?(?:\w+\s+)?(?:mistake|failure|disaster|error)"
    r"|(?:harms?|costs?|risks?|dangers?|downsides?|drawbacks?)\b.{0,80}?\boutweighs?\s+(?:its|the|their)\s+"
    r"(?:benefits?|advantages?|gains?)|a\s+waste\s+of|better\s+off\s+without"
    r"|make\s+(?:it\s+)?(?:illegal|unlawful|a\s+crime|a\s+criminal\s+offen[cs]e))\b",
    re.I,
)
_VERB_PHRASE = re.compile(
    r"\b(?:should|must|ought\s+to|would|shall|will|needs?\s+to|has\s+to|have\s+to|is|are|brings?|was|were)\b"
    r"(\s+(?:not|never|no\s+longer))?\s+(?:\w+ly\s+)?(?:be\s+)?"
    r"(?:(?:more|further|fully|continue\s+to|seek\s+to|work\s+to|fight\s+for\s+the|fight\s+for|support\s+(?:a|the)"
    r"|(?:justified|right|wise|entitled)\s+(?:in|to)"
    r"|support|introduce\s+(?:a|the)?)\s+)?(.*)",
    re.I,
)
_PREFIX = re.compile(r"^\s*this\s+house\s+(?:believes\s+that|would|should|supports?)\s*", re.I)
_HOUSE_AGAINST = re.compile(
    r"^\s*this\s+house\s+(?:(?:opposes|regrets|rejects|condemns|deplores|laments|fears|would\s+oppose"
    r"|disapproves\s+of|is\s+against|stands\s+against)"
    r"|(?:would\s+)?prefers?\s+a\s+world\s+without|would\s+rather\s+live\s+in\s+a\s+world\s+without)\b",
    re.I,
)
"""A motion whose house takes a stand against its subject by its first verb: "This house regrets the rise of X",
"This house prefers a world without religion"."""
_ADVERB = r"(?:(?:\w+ly|further|also|still|even|now|again)\s+)*"
"""Adverbs that may stand before the motion's verb ("would further restrict", "should immediately ban")."""
_SUBJECT = re.compile(r"^(?:we|they|it|people|governments?|the|a|an)\b", re.I)


_SHORT_HOUSE = {
    "thw": "This house would",
    "thbt": "This house believes that",
    "ths": "This house supports",
    "tho": "This house opposes",
    "thr": "This house regrets",
    "thp": "This house prefers",
    "th": "This house",
}
_SHORT_HOUSE_RE = re.compile(rf"^\s*({'|'.join(_SHORT_HOUSE)})\b\.?", re.I)  # "th" last: it is the others' prefix
_ASKED = re.compile(r"^\s*(should|must|is|are|was|were|has|have|does|do|would)\s+(.+?)\s*\?\s*$", re.I)
_SUBJECT_WORDS = frozenset("we they you governments states countries people parents schools".split())


def _as_statement(motion: str) -> str:
    """Return the motion as a statement: "THW ban X" -> "This house would ban X", "Should X be banned?" -> "X should
    be banned", "Is X ever justified?" -> "X is ever justified". The question's verb goes before the first "be",
    "not", "ever" or word of acting against, or after a pronoun subject ("Should we ..."), else after the first word."""
    text = _SHORT_HOUSE_RE.sub(lambda m: _SHORT_HOUSE[m.group(1).lower()], motion, count=1)
    asked = _ASKED.match(text)
    if not asked:
        return text
    verb, words = asked.group(1).lower(), asked.group(2).split()
    at = next(
        (
            k
            for k in range(1, len(words))
            if words[k].lower() in ("be", "not", "never", "ever")
            or words[k - 1].lower() in _SUBJECT_WORDS
            or _AGAINST_WORD.match(" ".join(words[k:]))
        ),
        1,
    )
    return " ".join([*words[:at], verb, *words[at:]])


def motion_polarity(motion: str) -> int:
    """Return +1 when the motion favours its subject, -1 when it acts against it ("ban", "abolish", "harmful")."""
    motion = _as_statement(motion)
    if _HOUSE_AGAINST.match(motion):
        return -1
    text = _PREFIX.sub("", motion.strip())
    lead = re.match(rf"^(?:(not|never|no\s+longer)\s+)?{_ADVERB}(.*)", text, re.I)
    if lead and not _SUBJECT.match(text) and (_AGAINST_WORD.match(lead.group(2)) or lead.group(1)):
        return 1 if lead.group(1) and _AGAINST_WORD.match(lead.group(2)) else -1
    to = re.search(r"\bto\s+(?:(not)\s+)?(\w+(?:\s+\w+)?)", text, re.I)
    before = text[: to.start()].split() if to else []
    if to and _AGAINST_WORD.match(to.group(2)) and not (before and _VERB_PHRASE.match(before[-1])):
        return 1 if to.group(1) else -1
    verb = _VERB_PHRASE.search(text)
    if verb is None:
        return -1 if _AGAINST_PREDICATE.search(text) else 1
    sign = -1 if verb.group(1) else 1
    rest = verb.group(2)
    if _AGAINST_WORD.match(rest) or _AGAINST_NOUN.match(rest) or _AGAINST_PREDICATE.search(text):
        sign = -sign
    return sign


_ACTION_WORD = re.compile(rf"\b(?:{_AGAINST})\b", re.I)


@functools.lru_cache(maxsize=256)
def _action_pattern(motion: str) -> re.Pattern[str] | None:
    """Return a pattern for the motion's own action against its subject ("ban", "abolish"), in any form."""
    words = [m.group(0).lower() for m in _ACTION_WORD.finditer(_PREFIX.sub("", motion))]
    words = [w for w in words if " " not in w and w not in ("bad", "wrong", "harmful", "criminal", "dangerous")]
    if not words:
        return None
    forms = [
        rf"{re.escape(w[:5])}\w*" if len(w) >= 6 else rf"{re.escape(w)}(?:s|es|ed|ned|ning|ing|ped|ping)?"
        for w in words
    ]
    return re.compile(rf"\b(?:{'|'.join(forms)})\b", re.I)


def text_polarities(texts: Sequence[str], motion: str) -> np.ndarray:
    """Return, per text, the polarity its sentiment is read with toward the motion.

    Usually the motion's (``motion_polarity``). But a text that names the motion's own action against its subject
    ("Banning it saves lives", "a ban would destroy jobs") speaks of the action, not of the subject: its good or ill
    words then take the motion's side directly (+1).
    """
    base = motion_polarity(motion)
    pattern = _action_pattern(motion) if base < 0 else None
    if pattern is None:
        return np.full(len(texts), float(base))
    return np.array([1.0 if pattern.search(t) else float(base) for t in texts])


# --- 1b. attacks on a side's people ---------------------------------------------------------------------------

_CRITICS = r"critics|opponents|detractors|sceptics|skeptics|naysayers|doubters"
_BACKERS = r"supporters|proponents|defenders|apologists|advocates|backers|cheerleaders|champions"
_ATTACK = re.compile(
    r"(?:^|[.;!?]\s+|,\s+but\s+)(?:(?:but|and|yet)\s+)?(?:(?:the|its|his|her|their|these|those|such|most|many|some"
    r"|so-called|[\w-]+'s)\s+)*"
    rf"(?:({_CRITICS})|({_BACKERS}))\b(?:\s+of\s+(?:\S+\s+){{0,5}}?\S+?)?,?\s+(?:\w+ly\s+)?"
    r"(?:ignore[sd]?|overlook(?:s|ed)?|forg[eo]t|never|have\s+no|has\s+no|had\s+no|offer(?:s|ed)?\s+no"
    r"|fail(?:s|ed)?\s+to|refuse[sd]?\s+to|exaggerate[sd]?|overstate[sd]?|distort(?:s|ed)?|misrepresent(?:s|ed)?"
    r"|lie[sd]?|cherry-pick(?:s|ed)?|rely\s+on|romantici[sz]\w*|pretend(?:s|ed)?|treat(?:s|ed)?|would\s+rather"
    r"|cannot|can't|do\s+not\s+care|don't\s+care|care\s+more|only\s+care|dismiss(?:es|ed)?|downplay(?:s|ed)?"
    r"|whitewash(?:es|ed)?|are\s+in\s+no\s+position|blame[sd]?)\b",
    re.I,
)


def attacks(texts: Sequence[str]) -> np.ndarray:
    """Return, per text, +1 when it attacks the critics of what it is about, -1 its backers, 0 neither.

    "Critics ignore the lives saved" speaks ill of the critics, which is to speak for their target: the favour
    encoder, reading ill words, would take it the other way (the contrast relation of Bar-Haim et al., 2017, for a
    side's people). Only a sentence whose subject is the critics or backers themselves (not a named group, whose
    side the words alone do not tell) and whose verb attacks them counts; "critics say", "critics were jailed"
    report or happen to them, and are read by their words as before.
    """
    out = np.zeros(len(texts))
    for i, text in enumerate(texts):
        m = _ATTACK.search(text)
        if m:
            out[i] = 1.0 if m.group(1) else -1.0
    return out


# --- 1c. shifters: a harm that fell ---------------------------------------------------------------------------

SHIFT_BELOW = -1.5
"""A fallen thing is "clearly ill" when the favour encoder, reading it alone, scores it below this. On the design
data (ArgQ dev topics, Claim Stance fit claims, rebut batches 1-5) every threshold from -1.0 to -2.0 reads the same;
-2.5 loses "Homicides" (-2.3). Neutral phrases there score down to about -1.2 ("the month", "apartment blocks"),
plain harms -1.8 to -3 ("extortion", "crime", "murders")."""

_FALL = (
    r"fell|fall(?:s|en|ing)?|dropped|drop(?:s|ping)?|declined|declin(?:es|ing)|plummet(?:s|ed|ing)?|plunged"
    r"|plung(?:es|ing)|halved|shr[au]nk|shrinks|shrinking|collapsed|collaps(?:es|ing)|disappeared|disappear(?:s|ing)?"
    r"|vanished|vanish(?:es|ing)?|ended|stopped|ceased|ceas(?:es|ing)|(?:went|goes|go|gone|came|come)\s+down"
    r"|dwindled|dwindl(?:es|ing)|subsided|receded"
    r"|(?:were|was|are|is|been|be)\s+(?:\w+ly\s+)?(?:reduced|cut|halved|eliminated|eradicated|wiped\s+out|ended"
    r"|stopped|decreased|lowered)"
)
_FALLEN = re.compile(
    rf"\b(?:{_FALL})(?=\s*(?:[,.;:!?)]|$|\d|(?:by|from|to|in|since|after|over|during|when|once|as|for|under|below|at"
    r"|last|this|every|each|and|almost|nearly|steadily|further|again|overnight|altogether|entirely|\w+ly)\b))",
    re.I,
)
"""A fall with no object: the sentence's end, a clause break, an amount or time, or an adverb follows
("Homicides fell from ...", "bullying is reduced."), not "School uniforms decrease bullying", whose subject acts."""
_FALL_NOUN = re.compile(r"\b(?:collapse|fall|drop|decline|reduction|decrease|plunge)\s+(?:in|of)\s+(.+)", re.I)
_NOT_SO = re.compile(r"\b(?:not|never|no|nothing|n't|cannot|hardly|fail(?:s|ed)?\s+to)\s+(?:\w+\s+){0,2}$", re.I)
_NOT_A_FALL = re.compile(r"\b(?:the|a|an|its|their|to|will|would|could|might|may|can|should|must)\s+$", re.I)
_CLAUSE = re.compile(
    r"[,;:.!?()]|\b(?:and|but|because|since|so|which|that|who|while|whereas|when|if|as|yet|once|after|though"
    r"|although)\b",
    re.I,
)
_PHRASE_END = re.compile(
    r"[,;:.!?()]|\s(?:and|but|because|since|so|which|while|whereas|when|if|yet|by(?=\s+\d)|through|would|will|is|are"
    r"|was|were|has|have|had|can|could|should|may|might|must|does|do|did|once|after|though|although)\s",
    re.I,
)
_TURN = re.compile(r"^[^.!?]*?\b(?:but|because|yet|though|although|partly|at\s+the\s+(?:price|cost))\b", re.I)
"""A fall whose own sentence then turns or explains it ("Crime fell, but at the price of due process", "Violence fell
partly because ...") is not read as the sentence's point."""


def fallen(text: str) -> list[str]:
    """Return what the text says fell, dropped, declined or collapsed ("Homicides fell ..." -> "Homicides").

    Only a fall without an agent counts: "X fell", "X was cut", "the collapse in X". "Y reduces X" is left to the
    encoder, which reads it right as often as the shifted reading does on dev topics (it was trained on thousands).
    A fall that is negated ("did not fall") or that its sentence turns ("but", "because") is not returned.
    """
    out = []
    for m in _FALLEN.finditer(text):
        before = text[: m.start()]
        if _NOT_SO.search(before) or _NOT_A_FALL.search(before) or _TURN.search(text[m.end() :]):
            continue
        start = max((b.end() for b in _CLAUSE.finditer(before)), default=0)
        out.append(" ".join(before[start:].split()[-6:]))
    for m in _FALL_NOUN.finditer(text):
        if _NOT_SO.search(text[: m.start()]):
            continue
        rest = m.group(1)
        end = _PHRASE_END.search(" " + rest)
        phrase = rest[: max(0, end.start() - 1)] if end else rest
        if not _TURN.search(rest[len(phrase) :]):
            out.append(" ".join(phrase.split()[:6]))
    return [p for p in out if re.search(r"[a-z]{3}", p, re.I)]


def shift_fallen(texts: Sequence[str], logits: np.ndarray, score: Callable[[Sequence[str]], np.ndarray]) -> np.ndarray:
    """Return favour logits where a text that says a clearly ill thing fell speaks at least as well as that thing
    speaks ill: ``max(logit, -score(thing))`` when ``score(thing) < SHIFT_BELOW``.

    "Homicides fell from over a hundred per 100,000 people to under three" reads -4.2 to the encoder, which reads
    the harm, not its direction; "Homicides" alone reads -2.3, so the sentence reads +2.3. A shifter (Bar-Haim et
    al., EACL 2017), on the encoder's own reading of the phrase: no word list of harms. ``score`` is the encoder.
    """
    found = [fallen(t) for t in texts]
    phrases = sorted({p for f in found for p in f})
    if not phrases:
        return logits
    ill = dict(zip(phrases, score(phrases).tolist(), strict=True))
    out = np.array(logits, dtype=np.float64)
    for i, f in enumerate(found):
        worst = min((ill[p] for p in f), default=0.0)
        if worst < SHIFT_BELOW:
            out[i] = max(out[i], -worst)
    return out


# --- 2. word features -------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def ngrams(text: str) -> list[str]:
    """Return the lower-cased word unigrams and bigrams of a text (scikit-learn's default token pattern)."""
    words = _TOKEN.findall(text.lower())
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


# --- the model ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StanceModel:
    """The fitted weights (see ``tools/train_stance.py``); ``probabilities`` is the one entry point."""

    vocab: dict[str, int]
    idf: np.ndarray
    favour_words: np.ndarray
    favour_vector: np.ndarray
    favour_bias: float
    favour_temperature: float
    margin_weight: float
    argument_vector: np.ndarray
    argument_cosine: float
    argument_bias: float
    argument_temperature: float
    gate_bias: float
    gate_argument: float
    gate_side: float
    """The neutral gate: P(argues) = sigmoid(bias + argument * argument logit + side * |calibrated side logit|)."""
    unsure_below: float
    """A side whose probability (given that the passage argues) is below this is shown as unsure."""
    key_point_threshold: float
    """Cosine at which an argument makes a key point (contention), fitted on ArgKP."""
    linear_weight: float = 1.0
    encoder_weight: float = 0.0
    stack_bias: float = 0.0
    """favour = linear_weight * linear logit + encoder_weight * the fine-tuned encoder's logit + stack_bias."""
    linear_only_scale: float = 1.0
    """Without the encoder, favour = linear_only_scale * linear logit: calibrated for the linear part alone."""
    key_point_weights: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)
    """Key-point match logit = w0 * cosine + w1 * (cosine - the argument's best cosine to any key point of the set)
    + w2 * [it is that best] + w3, matched when >= ``key_point_threshold`` (fitted on ArgKP fit topics)."""

    def key_point_logits(self, cosines: np.ndarray) -> np.ndarray:
        """Return match logits for a (arguments x key points) matrix of cosines, each row over one key-point set."""
        cosines = np.atleast_2d(cosines)
        best = cosines.max(axis=1, keepdims=True)
        w = self.key_point_weights
        return w[0] * cosines + w[1] * (cosines - best) + w[2] * (cosines >= best) + w[3]

    def word_matrix(self, texts: Sequence[str]) -> np.ndarray:
        """Return each text's TF-IDF weights (sublinear tf, l2-normalised) dotted with the favour word weights."""
        out = np.zeros(len(texts))
        for i, text in enumerate(texts):
            counts: dict[int, int] = {}
            for gram in ngrams(text):
                j = self.vocab.get(gram)
                if j is not None:
                    counts[j] = counts.get(j, 0) + 1
            if not counts:
                continue
            cols = np.fromiter(counts, dtype=np.int64)
            vals = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))) * self.idf[cols]
            out[i] = float(vals @ self.favour_words[cols]) / float(np.linalg.norm(vals))
        return out

    def linear_logits(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """Return the linear model's logit that each text speaks well of its subject (n-grams and embedding)."""
        return self.word_matrix(texts) + vectors @ self.favour_vector + self.favour_bias

    def favour_logits(
        self, texts: Sequence[str], vectors: np.ndarray, encoder_logits: np.ndarray | None = None
    ) -> np.ndarray:
        """Return the uncalibrated logit that each text speaks well of its subject (independent of any motion).

        ``encoder_logits`` are the fine-tuned favour encoder's (``bot.debate.favour``), or None where it is unavailable.
        """
        linear = self.linear_logits(texts, vectors)
        if encoder_logits is None or self.encoder_weight == 0.0:
            favour = self.linear_only_scale * linear
        else:
            favour = self.linear_weight * linear + self.encoder_weight * encoder_logits + self.stack_bias
        attacked = attacks(texts)
        return np.where(attacked != 0, attacked * np.abs(favour), favour)

    def probabilities(
        self,
        favour: np.ndarray,
        vectors: np.ndarray,
        motion_vector: np.ndarray,
        polarity: int | np.ndarray,
        margins: np.ndarray | None = None,
    ) -> np.ndarray:
        """Return calibrated (pro, con, not an argument) probabilities, one row per text.

        ``polarity`` is the motion's, or one per text (``text_polarities``).
        """
        side = polarity * favour / self.favour_temperature
        if margins is not None:
            side = side + self.margin_weight * margins
        p_pro = _sigmoid(side)
        p_arg = _sigmoid(self.gate(self.argument_logits(vectors, motion_vector), favour))
        return np.stack([p_arg * p_pro, p_arg * (1 - p_pro), 1 - p_arg], axis=1)

    def argument_logits(self, vectors: np.ndarray, motion_vector: np.ndarray) -> np.ndarray:
        """Return the calibrated logit that each text argues for or against the motion at all."""
        raw = vectors @ self.argument_vector + self.argument_cosine * (vectors @ motion_vector) + self.argument_bias
        return raw / self.argument_temperature

    def gate(self, argument: np.ndarray, favour: np.ndarray) -> np.ndarray:
        """Return the logit of "argues": the argument detector and how clearly the text speaks well or ill."""
        return (
            self.gate_bias + self.gate_argument * argument + self.gate_side * np.abs(favour) / self.favour_temperature
        )


LABELS = ("pro", "con", "neutral")


def decide(probs: np.ndarray) -> np.ndarray:
    """Return each row's label: neutral when P(argues) < 0.5, else the likelier side.

    Not the argmax of the three: a passage that argues (0.57) with its side split 0.3 / 0.27 argues all the same.
    """
    side = np.where(probs[:, 0] >= probs[:, 1], 0, 1)
    return np.array(LABELS)[np.where(probs[:, 2] > 0.5, 2, side)]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


@functools.cache
def load_model(weights: Path = WEIGHTS_FILE, vocab: Path = VOCAB_FILE) -> StanceModel:
    """Load the shipped stance model (once per process)."""
    try:
        arrays = np.load(weights)
        words = json.loads(vocab.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"The stance model files are missing or unreadable ({weights.name}, {vocab.name}): {exc}.",
            "Reinstall the package, or rebuild them with `make train` (needs ../shared/argdata).",
        ) from exc
    scalars = {k: float(arrays[k]) for k in arrays.files if arrays[k].ndim == 0}
    return StanceModel(
        vocab={w: i for i, w in enumerate(words)},
        idf=arrays["idf"],
        favour_words=arrays["favour_words"],
        favour_vector=arrays["favour_vector"],
        favour_bias=scalars["favour_bias"],
        favour_temperature=scalars["favour_temperature"],
        margin_weight=scalars["margin_weight"],
        argument_vector=arrays["argument_vector"],
        argument_cosine=scalars["argument_cosine"],
        argument_bias=scalars["argument_bias"],
        argument_temperature=scalars["argument_temperature"],
        gate_bias=scalars["gate_bias"],
        gate_argument=scalars["gate_argument"],
        gate_side=scalars["gate_side"],
        unsure_below=scalars["unsure_below"],
        key_point_threshold=scalars["key_point_threshold"],
        linear_weight=scalars.get("linear_weight", 1.0),
        encoder_weight=scalars.get("encoder_weight", 0.0),
        stack_bias=scalars.get("stack_bias", 0.0),
        linear_only_scale=scalars.get("linear_only_scale", 1.0),
        key_point_weights=_four(arrays["key_point_weights"]) if "key_point_weights" in arrays.files else (1, 0, 0, 0),
    )


def _four(values: np.ndarray) -> tuple[float, float, float, float]:
    a, b, c, d = (float(x) for x in values)
    return a, b, c, d
