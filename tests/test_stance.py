"""Stance: the shipped model on the labelled eval set, any motion's polarity, confidence and abstention, the LLM path;
motions file loading."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from pydantic import Field

from bot.debate.motions import Motion, default_motion, find_motion, load_motions, resolve_motion
from bot.debate.sentences import sentence_table
from bot.debate.stance import OFFLINE, classify, describe, evaluate_stance, parse_stance
from bot.debate.stance_model import load_model, motion_polarity
from bot.errors import InputError
from bot.evalset import load_eval
from bot.llm import use_chat_model
from bot.settings import Settings
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
        f"test {test['accuracy']:.3f} (n={test['n']}); side accuracy on arguments: dev {dev['side_accuracy']:.3f}, "
        f"test {test['side_accuracy']:.3f}; per class "
        + ", ".join(f"{c} {v['accuracy']:.2f} (n={v['n']})" for c, v in result["per_class"].items())
    )
    assert result["method"] == OFFLINE
    assert result["n"] == len(items) == dev["n"] + test["n"]
    # Floors under what the shipped model measured (see README): they catch a broken model, not a small change.
    # Only the neutral gate saw the dev items; the model itself was fitted on public data on other motions.
    assert test["side_accuracy"] >= 0.7
    assert test["accuracy"] >= 0.5
    assert sum(sum(row.values()) for row in result["confusion"].values()) == len(items)


CLEAR = {
    "pro": "Homicides fell to a record low and families can walk the streets safely again.",
    "con": "Rights groups documented torture, arbitrary detentions and deaths of innocent people in the prisons.",
}


def test_clear_sentences_and_flipped_motion(corpus_index: Settings) -> None:
    motion = Motion("m", "El Salvador's crackdown on gangs is justified")
    pro, con = classify([CLEAR["pro"], CLEAR["con"]], motion, settings=corpus_index)
    assert (pro.side, con.side) == ("pro", "con")
    assert pro.score > 0 > con.score
    flipped = Motion("against", "El Salvador's crackdown on gangs should be abolished")
    pro2, con2 = classify([CLEAR["pro"], CLEAR["con"]], flipped, settings=corpus_index)
    assert (pro2.side, con2.side) == ("con", "pro")
    assert pro2.score == pytest.approx(-pro.score, abs=0.2)


def test_a_text_that_names_the_motions_short_action_in_any_form_speaks_of_the_action() -> None:
    from bot.debate.stance_model import text_polarities

    texts = ["Taxes hurt the poor", "Capping rents drives landlords away", "Sugary drinks rot teeth"]
    assert text_polarities(texts[:1] + texts[2:], "This house would tax sugary drinks").tolist() == [1, -1]
    assert text_polarities(texts[1:2], "This house would cap rents").tolist() == [1]


@pytest.mark.parametrize(
    ("motion", "polarity"),
    [
        ("We should ban factory farming", -1),
        ("Assisted suicide should be a criminal offence", -1),
        ("Social media brings more harm than good", -1),
        ("We should legalize cannabis", 1),
        ("This house would not ban boxing", 1),
        ("The state of exception should not be renewed", -1),
        ("El Salvador's mass-incarceration policy, symbolised by CECOT, is justified", 1),
        ("Other countries should adopt the Bukele model", 1),
        ("This house would further restrict the sale of violent video games to minors", -1),
        ("This house would no longer subsidize farming", -1),
        ("We should also legalize cannabis", 1),
        ("The church is justified in forbidding the use of contraception", -1),
        ("Schools are right to ban phones", -1),
        ("Parents are entitled to choose their children's school", 1),
        ("This house regrets the rise of influencer culture", -1),
        ("This house opposes the death penalty", -1),
        ("This house prefers a world without religion", -1),
        ("This house disapproves of reality television", -1),
        ("The harms of mass incarceration outweigh the benefits", -1),
        ("The benefits of CECOT outweigh its harms", 1),
        ("This house would tax sugary drinks", -1),
        ("We should not tax the poor", 1),
        ("This house would break up big tech companies", -1),
        ("The EU should be dissolved", -1),
        ("This house would cap rents", -1),
        ("We should adopt cap and trade", 1),
        ("Space exploration is a waste of money", -1),
        ("Space exploration is not a waste of money", 1),
        ("This house believes the world would be better off without nuclear weapons", -1),
        ("This house would make it illegal to own exotic pets", -1),
        ("THW criminalise the purchase of sex", -1),
        ("THBT zoos do more good than harm", 1),
        ("Should genetically modified crops be banned?", -1),
        ("Should we legalise cannabis?", 1),
        ("Is the death penalty ever justified?", 1),
        ("Should the voting age not be raised?", -1),
        ("The privatisation of water utilities has been a mistake", -1),
    ],
)
def test_motion_polarity(motion: str, polarity: int) -> None:
    assert motion_polarity(motion) == polarity


def test_a_text_that_names_the_motions_action_speaks_of_the_action() -> None:
    from bot.debate.stance_model import text_polarities

    motion = "We should ban smoking in public places"
    texts = ["Banning it saves lives.", "A ban would destroy jobs.", "Smoking kills bystanders.", "We love it."]
    assert text_polarities(texts, motion).tolist() == [1.0, 1.0, -1.0, -1.0]
    assert text_polarities(texts, "We should legalize cannabis").tolist() == [1.0] * 4


def test_an_attack_on_a_sides_people_speaks_for_the_other_side(corpus_index: Settings) -> None:
    from bot.debate.stance_model import attacks

    texts = [
        "Critics ignore the lives the policy has saved.",
        "The program's opponents have no answer to the fall in crime.",
        "Its defenders conveniently overlook the deaths in custody.",
        "Critics say the prisons are cruel.",
        "Critics of the government were jailed.",
        "Supporters argue the policy works.",
    ]
    assert attacks(texts).tolist() == [1.0, 1.0, -1.0, 0.0, 0.0, 0.0]
    motion = Motion("x", "The crackdown is justified")
    ignore, no_answer, overlook = classify(texts[:3], motion, settings=corpus_index)
    assert (ignore.side, no_answer.side, overlook.side) == ("pro", "pro", "con")
    ban = Motion("y", "We should ban the crackdown")  # the critics of the crackdown are on the motion's side
    assert [r.side for r in classify(texts[:3], ban, settings=corpus_index)] == ["con", "con", "pro"]


def test_a_clearly_ill_thing_that_fell_is_read_as_the_fall() -> None:
    from bot.debate.stance_model import SHIFT_BELOW, fallen, shift_fallen

    texts = [
        "Burglaries fell by half in the first year.",
        "Burglaries fell, but only because the police stopped recording them.",
        "Burglaries did not fall.",
        "Street lights reduce burglaries.",
        "The council has no answer to the drop in burglaries.",
        "Ticket prices have dropped since the new line opened.",
    ]
    assert [fallen(t) for t in texts] == [
        ["Burglaries"],
        [],
        [],
        [],
        ["burglaries"],
        ["Ticket prices have"],
    ]
    ill = {"Burglaries": SHIFT_BELOW - 1.0, "burglaries": SHIFT_BELOW - 1.0, "Ticket prices have": SHIFT_BELOW + 1.0}
    scored: list[list[str]] = []

    def score(phrases: list[str]) -> np.ndarray:
        scored.append(list(phrases))
        return np.array([ill[p] for p in phrases])

    raw = np.array([-3.0, -3.0, -3.0, -3.0, 5.0, -3.0])
    out = shift_fallen(texts, raw, score)
    # The fallen harm's own reading, reversed; never lower than the sentence's own; a thing not clearly ill is not.
    assert out.tolist() == [-(SHIFT_BELOW - 1.0), -3.0, -3.0, -3.0, 5.0, -3.0]
    assert scored == [sorted(ill)]  # one call for every phrase
    assert shift_fallen(texts[2:4], raw[:2], score).tolist() == [-3.0, -3.0] and len(scored) == 1


def test_the_favour_encoder_reads_a_fallen_harm_through_the_shifter(tmp_path: Path) -> None:
    from bot.debate import favour
    from bot.debate.stance_model import SHIFT_BELOW, fallen

    encoder = favour.favour_encoder(make_settings(tmp_path))
    assert encoder is not None
    text = "Burglaries fell by half in the first year."
    (phrase,) = fallen(text)
    raw, alone = encoder.raw_logits([text, phrase]).tolist()
    (shifted,) = encoder.logits([text]).tolist()
    assert shifted == (max(raw, -alone) if alone < SHIFT_BELOW else raw)
    assert encoder.logits(["Burglaries rose."]).tolist() == encoder.raw_logits(["Burglaries rose."]).tolist()


def test_any_motion_without_contentions(corpus_index: Settings) -> None:
    motion = Motion("x", "We should ban smoking in public places")
    texts = ["Banning it saves lives.", "Smoking kills bystanders.", "Smokers have a right to choose."]
    a, b, c = classify(texts, motion, settings=corpus_index)
    assert (a.side, b.side, c.side) == ("pro", "pro", "con")


def test_confidence_is_a_probability_and_unsure_abstains(corpus_index: Settings) -> None:
    motion = default_motion(corpus_index)
    table = sentence_table(corpus_index)
    probs = table.probabilities(motion, corpus_index)
    assert probs.shape == (len(table.texts), 3)
    assert np.allclose(probs.sum(axis=1), 1.0) and (probs >= 0).all()
    results = classify(table.texts[:200], motion, vectors=table.vectors[:200], settings=corpus_index)
    threshold = load_model().unsure_below
    for r in results:
        assert 0.5 <= r.side_confidence <= 1.0 and 0 < r.confidence <= 1.0
        assert r.unsure == (r.side_confidence < threshold)
        assert describe(r).startswith("side unsure" if r.unsure and r.stance != "neutral" else ("likely", "not an"))
    assert any(r.unsure for r in results) and any(not r.unsure for r in results)


def test_stored_sentence_vectors_are_reused(corpus_index: Settings) -> None:
    from bot.grounding import stored_sentence_vectors

    table = sentence_table(corpus_index)
    sid = table.source_ids[0]
    stored = stored_sentence_vectors(sid, corpus_index)
    assert stored is not None
    row = int(table.rows_by_source[sid][0])
    assert np.array_equal(table.vectors[row], stored[(int(table.starts[row]), int(table.ends[row]))])


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
    assert (result.stance, result.score, result.side_confidence) == (
        offline.stance,
        offline.score,
        offline.side_confidence,
    )
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
