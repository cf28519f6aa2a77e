"""Stance: accuracy on the labelled eval set, the fitted weights, cue and voice features, the motion's orientation,
the LLM path; motions file loading."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from pydantic import Field

from bot.errors import InputError
from bot.evalset import load_eval
from bot.llm import use_chat_model
from bot.motions import Motion, default_motion, find_motion, load_motions, resolve_motion
from bot.settings import Settings
from bot.stance import (
    MIN_BAND,
    NEUTRAL_BIAS,
    NEUTRAL_WEIGHTS,
    OFFLINE,
    SIDE_WEIGHTS,
    TEXT_FEATURES,
    classify,
    cue_words,
    design_rows,
    evaluate_stance,
    fit,
    label,
    parse_stance,
    stance,
    text_features,
    training_set,
)
from tests.conftest import make_settings

CON_SENTENCE = "Rights groups documented torture and arbitrary detentions of innocent people in the prisons."
PRO_SENTENCE = "The government said homicides fell to a record low and El Salvador is now the safest country."


class RecordingChat(FakeListChatModel):
    """A FakeListChatModel that keeps every prompt it was sent."""

    prompts: list[str] = Field(default_factory=list)

    def _call(self, messages: Any, *args: Any, **kwargs: Any) -> str:
        self.prompts.append(str(messages[-1].content))
        return super()._call(messages, *args, **kwargs)


@pytest.fixture(name="fake_llm")
def fake_llm_fixture() -> Iterator[Callable[..., RecordingChat]]:
    """Install a recording fake chat model answering with the given replies (in turn); removed afterwards."""

    def install(*responses: str) -> RecordingChat:
        model = RecordingChat(responses=list(responses))
        use_chat_model(model)
        return model

    yield install
    use_chat_model(None)


def test_accuracy_on_labelled_stance_items(corpus_index: Settings) -> None:
    items = load_eval().stance
    result = evaluate_stance(items, corpus_index)
    dev, test = result["per_split"]["dev"], result["per_split"]["test"]
    print(
        f"\nstance method: {result['method']}\n"
        f"accuracy: all {result['accuracy']:.3f} (n={result['n']}), dev {dev['accuracy']:.3f} (n={dev['n']}), "
        f"test {test['accuracy']:.3f} (n={test['n']}); per class "
        + ", ".join(f"{c} {v['accuracy']:.2f} (n={v['n']})" for c, v in result["per_class"].items())
    )
    assert result["method"] == OFFLINE
    assert result["n"] == len(items) == dev["n"] + test["n"]
    # Floors below what was measured with the shipped weights (dev 0.97 -- the dev items are part of the training
    # data, see test_cross_validated_dev_accuracy for the held-out figure -- and test 0.69): they catch a
    # broken method, not a small change.
    assert dev["accuracy"] >= 0.9
    assert test["accuracy"] >= 0.6
    assert sum(sum(row.values()) for row in result["confusion"].values()) == len(items)


def test_clear_sentences_and_flipped_motion(corpus_index: Settings) -> None:
    motion = default_motion(corpus_index)
    pro, con = classify([PRO_SENTENCE, CON_SENTENCE], motion, settings=corpus_index)
    assert (pro.stance, con.stance) == ("pro", "con")
    assert pro.score >= 1 and con.score <= -1
    flipped = Motion("against", "The crackdown should end", pro=motion.con, con=motion.pro)
    pro2, con2 = classify([PRO_SENTENCE, CON_SENTENCE], flipped, settings=corpus_index)
    assert (pro2.stance, con2.stance) == ("con", "pro")


def test_source_leaning_counts(corpus_index: Settings) -> None:
    text = "The report describes the prison system."
    with_pro = stance(text, source_id="vozus-safest-country-2023", settings=corpus_index)
    with_con = stance(text, source_id="amnesty-behind-the-veil-2023", settings=corpus_index)
    assert with_pro.score > with_con.score


@pytest.fixture(scope="module", name="training")
def training_fixture(corpus_index: Settings) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """The training set's texts, (side, gate) model inputs toward the default motion and labels."""
    texts, leanings, labels = training_set(corpus_index)
    side, gate = design_rows(texts, leanings, corpus_index)
    return texts, side, gate, np.array(labels)


def _predict(weights: Any, side: np.ndarray, gate: np.ndarray) -> list[str]:
    band = np.maximum(gate @ weights.neutral + weights.bias, MIN_BAND)
    return [label(float(s)) for s in side @ weights.side / band]


def test_training_set_holds_no_test_item(training: tuple[list[str], Any, Any, Any]) -> None:
    texts = set(training[0])
    evalset = load_eval()
    assert {i.text for i in evalset.split("dev").stance} <= texts
    assert not {i.text for i in evalset.split("test").stance} & texts


def test_shipped_weights_match_a_refit(training: tuple[list[str], np.ndarray, np.ndarray, np.ndarray]) -> None:
    _, side, gate, labels = training
    weights = fit(side, gate, labels)
    assert np.allclose(weights.side, SIDE_WEIGHTS, atol=0.01), weights.side
    assert np.allclose(weights.neutral, NEUTRAL_WEIGHTS, atol=0.01), weights.neutral
    assert abs(weights.bias - NEUTRAL_BIAS) < 0.01


def test_cross_validated_dev_accuracy(training: tuple[list[str], np.ndarray, np.ndarray, np.ndarray]) -> None:
    """Five folds of the dev items, each predicted by weights fitted without it (examples, contentions, other folds)."""
    texts, side, gate, labels = training
    dev = [texts.index(i.text) for i in load_eval().split("dev").stance]
    right = 0
    for fold in range(5):
        held = dev[fold::5]
        keep = np.ones(len(texts), dtype=bool)
        keep[held] = False
        weights = fit(side[keep], gate[keep], labels[keep])
        right += sum(p == g for p, g in zip(_predict(weights, side[held], gate[held]), labels[held], strict=True))
    # Measured 0.91 (leave-one-out gives the same); the floor catches a broken method.
    assert right / len(dev) >= 0.85


def test_fit_learns_a_separable_rule() -> None:
    rng = np.random.default_rng(0)
    side = rng.normal(size=(300, 1))
    gate = np.zeros((300, 1))
    labels = ["pro" if x > 0.5 else "con" if x < -0.5 else "neutral" for x in side[:, 0]]
    weights = fit(side, gate, labels, l2=0.01)
    assert weights.side[0] > 0 and weights.bias > 0
    assert sum(p == g for p, g in zip(_predict(weights, side, gate), labels, strict=True)) >= 280


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Officials denied the accusations of torture.", (1, 0)),
        ("Homicides did not fall last year.", (0, 1)),
        ("Shop owners can now open without fear of the gangs.", (2, 0)),
        ("Detainees died in custody after they were denied medical care.", (0, 2)),
        ("The report was published on Tuesday.", (0, 0)),
    ],
)
def test_cue_words(text: str, expected: tuple[int, int]) -> None:
    assert cue_words(text) == expected


def test_reported_speech_features() -> None:
    def voice(text: str) -> float:
        return text_features(text)[TEXT_FEATURES.index("voice")]

    assert voice("The minister said the plan worked.") == 1
    assert voice("According to the government, crime fell.") == 1
    assert voice("Human Rights Watch said the plan failed.") == -1
    assert voice("A U.S. official said the flights would continue.") == 0  # another country's government
    assert voice("Critics accused the government of lying.") == -1  # the government is talked about, not speaking
    assert text_features("The prison opened on 24 February 2023.")[TEXT_FEATURES.index("date")] == 1


def test_plain_facts_are_neutral(corpus_index: Settings) -> None:
    texts = [
        "The prison opened on 1 February 2023 in Tecoluca.",
        "The report was published on Tuesday.",
        "A U.S. official said the flights would continue.",
    ]
    assert [r.stance for r in classify(texts, settings=corpus_index)] == ["neutral"] * 3


def test_llm_stance_from_one_word_reply(corpus_index: Settings, fake_llm: Callable[..., RecordingChat]) -> None:
    model = fake_llm("Con")
    motion = default_motion(corpus_index)
    (result,) = classify([PRO_SENTENCE], motion, settings=corpus_index)
    assert result.stance == "con" and result.method.startswith("llm")
    (prompt,) = model.prompts
    assert motion.text in prompt and PRO_SENTENCE in prompt
    assert motion.pro[0].claim in prompt and motion.con[0].claim in prompt


@pytest.mark.parametrize("reply", ["", "It could be pro or con.", "I cannot tell."])
def test_malformed_llm_reply_keeps_offline_verdict(
    corpus_index: Settings, fake_llm: Callable[..., RecordingChat], reply: str
) -> None:
    (offline,) = classify([CON_SENTENCE], settings=corpus_index)
    fake_llm(reply)
    (result,) = classify([CON_SENTENCE], settings=corpus_index)
    assert (result.stance, result.score) == (offline.stance, offline.score) == ("con", offline.score)
    assert "unreadable" in result.method


@pytest.mark.parametrize(
    ("reply", "word"), [("pro", "pro"), ("Neutral.", "neutral"), ("**CON**", "con"), ("pro and con", None)]
)
def test_parse_stance(reply: str, word: str | None) -> None:
    assert parse_stance(reply) == word


def test_motions_file(corpus_index: Settings) -> None:
    motions = load_motions(corpus_index)
    motion = default_motion(corpus_index)
    assert motion.id == motions.default and motion.pro and motion.con
    assert find_motion(motion.text.upper() + " ", corpus_index) == motion
    assert find_motion(motion.id, corpus_index) == motion
    assert find_motion("Something else entirely", corpus_index) is None
    custom = resolve_motion(motion.text, {"con": ["Prisons are overcrowded."]}, corpus_index)
    assert custom.pro == motion.pro and [c.claim for c in custom.con] == ["Prisons are overcrowded."]
    with pytest.raises(InputError):
        resolve_motion(motion.text, {"maybe": ["x"]}, corpus_index)
    with pytest.raises(InputError):
        resolve_motion(motion.text, {"pro": "not a list"}, corpus_index)  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("motions: [", "Cannot read"),
        ("default: x\n", "no 'motions' list"),
        ("motions:\n  - id: a\n    text: A\n  - id: a\n    text: B\n", "Duplicate"),
        ("default: zzz\nmotions:\n  - id: a\n    text: A\n", "default motion"),
        ("motions:\n  - id: a\n", "no 'text'"),
        ("motions:\n  - id: a\n    text: A\n    pro: [{id: p}]\n", "no 'claim'"),
        ("motions:\n  - id: a\n    text: A\n    con: nope\n", "not a list"),
    ],
)
def test_malformed_motions_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "motions.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_motions(make_settings(tmp_path / "data", motions_file=path))


def test_missing_motions_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="No motions file"):
        load_motions(make_settings(tmp_path / "data", motions_file=tmp_path / "none.yaml"))
