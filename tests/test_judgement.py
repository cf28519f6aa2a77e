"""Judgement where it was not tuned: motions absent from the motions file, opponents' arguments written for this
test, and the public argument data's held-out motions (skipped where ../shared/argdata is absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.debate import argdata
from bot.debate.brief import brief
from bot.debate.rebuttal import rebut
from bot.debate.stance_model import DATA_DIR, ngrams
from bot.settings import Settings
from bot.types import Rebuttal
from tests.conftest import make_settings

HERE = Path(__file__).parent / "judgement"
MOTIONS = yaml.safe_load((HERE / "new-motions.yaml").read_text(encoding="utf-8"))["motions"]
ARGUMENTS = yaml.safe_load((HERE / "rebut-arguments.yaml").read_text(encoding="utf-8"))["arguments"]


def test_the_labelled_sets_are_what_the_issue_asks_for(corpus_index: Settings) -> None:
    from bot.debate.motions import load_motions
    from bot.debate.sentences import sentence_table

    known = {m.text for m in load_motions(corpus_index).motions}
    assert len(MOTIONS) >= 3 and not known & {m["text"] for m in MOTIONS}
    assert sum(len(m["sentences"]) for m in MOTIONS) >= 30
    texts = set(sentence_table(corpus_index).texts)
    assert [x["text"] for m in MOTIONS for x in m["sentences"] if x["text"] not in texts] == []
    sides = [a["side"] for a in ARGUMENTS]
    assert len(ARGUMENTS) >= 20 and sides.count("pro") == sides.count("con")
    batches = {a.get("batch", 1) for a in ARGUMENTS}
    assert batches == {1, 2, 3, 4, 5, 6, 7}
    for batch in batches:  # each batch is half pro, half con
        sides = [a["side"] for a in ARGUMENTS if a.get("batch", 1) == batch]
        assert sides.count("pro") == sides.count("con")


@pytest.mark.parametrize("motion", MOTIONS, ids=lambda m: m["text"][:40])
def test_brief_on_a_new_motion_puts_no_card_on_the_wrong_side(corpus_index: Settings, motion: dict) -> None:
    result = brief(motion["text"], per_side=5, settings=corpus_index)
    cards = result.pro + result.con
    assert cards and result.discovered
    assert all(c.stance in ("pro", "con") and 0.5 <= c.side_confidence <= 1.0 for c in cards)
    labelled = {x["text"]: x["side"] for x in motion["sentences"]}
    wrong = [(c.stance, t) for c in cards for t, side in labelled.items() if t in c.evidence and side != c.stance]
    assert wrong == []


REWORDED = [  # (the motion as tournaments word it, the labelled motion it restates, whether the sides swap)
    ("This house regrets El Salvador's state of exception", "El Salvador should end the state of exception", False),
    ("THW stop sending deportees to CECOT", "The United States should stop sending deportees to CECOT", False),
    (
        "Should other Latin American countries adopt Bukele's security model?",
        "Other Latin American countries should adopt Bukele's security model",
        False,
    ),
    (
        "This house opposes the adoption of Bukele's security model across Latin America",
        "Other Latin American countries should adopt Bukele's security model",
        True,
    ),
]


@pytest.mark.parametrize(("reworded", "labelled", "swapped"), REWORDED, ids=lambda x: str(x)[:30])
def test_a_motion_worded_another_way_keeps_its_sides(
    corpus_index: Settings, reworded: str, labelled: str, swapped: bool
) -> None:
    from bot.debate.motions import Motion
    from bot.debate.stance import classify

    texts = [x["text"] for x in next(m for m in MOTIONS if m["text"] == labelled)["sentences"]]
    as_labelled = [r.side for r in classify(texts, Motion("labelled", labelled), settings=corpus_index)]
    as_reworded = [r.side for r in classify(texts, Motion("reworded", reworded), settings=corpus_index)]
    flip = {"pro": "con", "con": "pro"}
    expected = [flip[side] for side in as_labelled] if swapped else as_labelled
    agree = sum(a == b for a, b in zip(as_reworded, expected, strict=True))
    # The wording changes the motion's vector a little, never which side its words stand for.
    assert agree >= len(texts) - 1, (as_labelled, as_reworded)
    result = brief(reworded, per_side=5, settings=corpus_index)
    sides = {x["text"]: x["side"] for m in MOTIONS if m["text"] == labelled for x in m["sentences"]}
    want = {t: flip[side] if swapped else side for t, side in sides.items()}
    assert [
        (c.stance, t)
        for c in result.pro + result.con
        for t, side in want.items()
        if t in c.evidence and side != c.stance
    ] == []


@pytest.fixture(scope="module")
def rebuttals(corpus_index: Settings) -> dict[str, Rebuttal]:
    """rebut() on every labelled argument, once for the module's three tests that read them."""
    return {arg["text"]: rebut(arg["text"], settings=corpus_index) for arg in ARGUMENTS}


def _rebut_readings(arguments: list[dict], rebuttals: dict[str, Rebuttal]) -> tuple[int, int, list[str]]:
    right = unsure = 0
    wrong = []
    for arg in arguments:
        result = rebuttals[arg["text"]]
        if result.unsure:
            unsure += 1
            assert {b.reading for b in result.blocks} == {"pro", "con"}
        elif result.argument_stance == arg["side"]:
            right += 1
        else:
            wrong.append(arg["text"])
    print(f"\nrebut: {right} right, {unsure} unsure, {len(wrong)} wrong of {len(arguments)}: {wrong}")
    return right, unsure, wrong


def test_rebut_reads_the_side_or_abstains(rebuttals: dict[str, Rebuttal]) -> None:
    seen = [a for a in ARGUMENTS if a.get("batch", 1) < 4]
    right, _, wrong = _rebut_readings(seen, rebuttals)
    # A floor under what the README reports (56 right, 7 unsure, 5 wrong of 68): a regression guard, not the goal.
    assert right >= 0.8 * len(seen)
    assert len(wrong) <= 0.08 * len(seen)


@pytest.mark.parametrize(("batch", "most_wrong"), [(4, 3), (5, 4), (6, 5), (7, 4)])
def test_rebut_on_a_held_out_batch(rebuttals: dict[str, Rebuttal], batch: int, most_wrong: int) -> None:
    """Batches 4 to 7 were each run once and changed nothing. Batch 4 measured 11 right, 6 unsure, 3 wrong of
    20, far under the batches the rules were written from. Batch 5 was given batch 4's floor before it was run and
    missed it: 11 right, 5 unsure, 4 wrong (12 / 4 / 4 since the shifter, which was designed with it in view).
    Batch 6 was written and committed before the shifter was designed and run once after it: 14 right, 1 unsure,
    5 wrong (13 / 2 / 5 with the encoder's raw reading). Batch 7 (tenth session) tested a vote of the sources'
    sentences and rejected it: 10 right, 6 unsure, 4 wrong without it. Each floor is what its batch measured (a
    regression guard, not the goal), and the README gives the figures."""
    held_out = [a for a in ARGUMENTS if a.get("batch", 1) == batch]
    right, _, wrong = _rebut_readings(held_out, rebuttals)
    assert right >= 0.5 * len(held_out)
    assert len(wrong) <= most_wrong


@pytest.mark.xfail(
    strict=True,
    reason="Known gap (README, 'Judgement'): an argument that attacks a named group ('human rights groups "
    "exaggerate') or the other side's alternative ('soft policies failed') in ill words is read by its words, so "
    "5 of the first 68 are read backwards, 3 of held-out batch 4, 4 of held-out batch 5 and 5 of held-out batch 6.",
)
def test_rebut_meets_the_issue_goal(rebuttals: dict[str, Rebuttal]) -> None:
    right, _, wrong = _rebut_readings(ARGUMENTS, rebuttals)
    assert right >= 0.9 * len(ARGUMENTS)
    assert wrong == []


def test_shipped_word_features_reproduce_scikit_learn() -> None:
    texts = ["Banning it would reduce harm to children.", "It isn't fair: the poorest pay, the rich don't."] * 3
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(texts)
    assert all(set(ngrams(t)) == set(vectorizer.build_analyzer()(t)) for t in texts)


def test_the_shipped_model_is_small_and_has_a_data_card() -> None:
    data = DATA_DIR
    size = sum(p.stat().st_size for p in data.iterdir())
    assert size < 25 * 2**20
    card = (data / "STANCE_MODEL.md").read_text(encoding="utf-8")
    assert argdata.ATTRIBUTION in card and "held-out" in card


@pytest.fixture(scope="module", name="argdata_settings")
def argdata_settings_fixture(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    s = make_settings(tmp_path_factory.mktemp("argdata"))
    try:
        argdata.folder(s)
    except argdata.ArgDataMissing as exc:
        pytest.skip(f"public argument data absent ({exc}); it lives in ../shared/argdata beside the project")
    return s


def test_external_held_out_motions(argdata_settings: Settings) -> None:
    from bot.debate.external import evaluate_external

    # Every 6th held-out item: about 1,800 texts, so the real model embeds them in seconds.
    report = evaluate_external(argdata_settings, every=6)
    argq, claims = report["pro_con"]["argq_test"], report["pro_con"]["claim_stance_heldout"]
    print(f"\nexternal (1/6 sample): argq {argq['accuracy']}, claims {claims['accuracy']}, {report['three_way']}")
    # Floors under the full-run figures (README): argq 0.785 (0.895 on the confident half), claims 0.666.
    assert argq["accuracy"] >= 0.72 and argq["accuracy_confident_half"] >= 0.82
    assert claims["accuracy"] >= 0.55
    assert report["key_points"]["f1"] > report["key_points"]["positive_share"]
    # Probabilities are calibrated: in each reliability bin, accuracy is within 0.15 of the mean confidence.
    assert all(abs(b["accuracy"] - b["confidence"]) <= 0.15 for b in argq["calibration"] if b["n"] >= 50)
    # Claims are broken down by their target relation, and every claim is in one group.
    groups = claims["by_target_relation"]
    assert sum(g["n"] for g in groups.values()) == claims["n"] and "by_target_relation" not in argq


def test_the_relation_breakdown_counts_each_group() -> None:
    from bot.debate.external import by_relation

    items = [argdata.Item("t", "m", 1, "test", "claims", r) for r in (1, 1, 1, -1, -1, 0)]
    right = np.array([True, True, False, False, True, True])
    half = np.array([True, False, True, False, False, False])
    out = by_relation(items, right, half)
    assert out["consistent"] == {"n": 3, "accuracy": 0.667, "share_of_confident_half": 0.667}
    assert out["contrastive"] == {"n": 2, "accuracy": 0.5, "share_of_confident_half": 0.0}
    assert out["unlabelled"]["n"] == 1


def test_the_splits_keep_held_out_motions_apart(argdata_settings: Settings) -> None:
    items = argdata.argq(argdata_settings) + argdata.claims(argdata_settings)
    by_split: dict[str, set[str]] = {}
    for i in items:
        by_split.setdefault(i.split, set()).add(f"{i.source}:{i.motion}")
    assert not by_split["test"] & (by_split["fit"] | by_split["calibrate"])
    assert np.mean([i.split == "test" for i in items if i.source == "claims"]) > 0.2


def test_card_cutting_against_human_cards(argdata_settings: Settings) -> None:
    from bot.debate.cards_eval import evaluate_cards, prf, words

    assert prf(words("a b c"), words("b c d")) == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    report = evaluate_cards(argdata_settings, limit=2)
    assert report["n"] == 2 and report["cards_share"] > 0
    for row in report["per_card"]:
        assert 0 <= row["highlight_f1"] <= 1 and 0 <= row["evidence_coverage"] <= 1
        assert 0 <= row["underline_or_highlight_f1"] <= 1
    # The ranking the layers follow puts the sentences the person highlighted first more often than not
    # (the full run, 2026-12-02: AUC 0.71, tag similarity alone 0.63).
    auc = report["salience_auc"]
    assert auc["highlight_salience"] is not None and auc["highlight_salience"] > 0.5
    # Not worse than highlighting every word of the text (the full run, 2026-12-02: 0.43 against 0.32).
    assert report["highlight"]["f1"] > report["all_text_f1"] - 0.05
