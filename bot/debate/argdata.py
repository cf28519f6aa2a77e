"""Public argument-mining data (``settings.argdata_dir``): read, labelled and split by topic.

One place decides which topics the stance model is fitted on and which it is measured on, so that
``tools/train_stance.py`` and ``python -m bot eval --external`` cannot disagree:

* IBM-ArgQ-30k: its own ``set`` column (train / dev / test are disjoint topics). Fit on train, calibrate on dev,
  report on test.
* IBM Claim Stance (train split file): a fixed 60 / 40 split of its 25 motions by a hash of the motion text; fit
  on the first part, report on the second.
* IBM Evidence Sentences: the train file fits the argument detector, the test file (other topics) reports.
* ArgKP-2021: topics in ArgQ's test set, or in no ArgQ set, report; dev topics calibrate; the rest fit.

The files are never copied into the project; where they are absent, ``ArgDataMissing`` says so.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.errors import NotFoundError
from bot.settings import Settings, get_settings

Split = Literal["fit", "calibrate", "test"]
ATTRIBUTION = "Contains data from IBM Debater datasets (IBM, CC BY-SA 3.0 / CDLA-Sharing 1.0)"
FILES = {
    "argq": "ibm_argq_30k.csv",
    "claims": "ibm_claim_stance_train.csv",
    "evidence_train": "ibm_evidence_sentences_train.csv",
    "evidence_test": "ibm_evidence_sentences_test.csv",
    "argkp": "ibm_argkp_2021.csv",
}


class ArgDataMissing(NotFoundError):
    """The public argument data folder is absent (as in a user's clone)."""


@dataclass(frozen=True)
class Item:
    """One labelled text toward a motion: stance +1 pro, -1 con, 0 not an argument."""

    text: str
    motion: str
    stance: int
    split: Split
    source: str
    relation: int = 0
    """Claim Stance only: +1 when the claim speaks of the motion's own target (or one it stands with), -1 when of a
    target that stands against it (the contrast relation: "central planning fails" on a free-market motion), 0
    unlabelled. Read for the report, never fitted on."""


@dataclass(frozen=True)
class KeyPointPair:
    """An (argument, key point) pair of ArgKP: ``match`` says the argument makes that key point."""

    argument: str
    key_point: str
    motion: str
    stance: int
    match: bool
    split: Split


def folder(settings: Settings | None = None) -> Path:
    """Return the argdata folder, or raise ArgDataMissing saying where it was looked for."""
    settings = settings or get_settings()
    path = settings.argdata_dir
    if not all((path / name).is_file() for name in FILES.values()):
        raise ArgDataMissing(
            f"The public argument data is not at {path}.",
            "Point BOT_ARGDATA_DIR at the folder holding the IBM Debater CSV files (../shared/argdata).",
        )
    return path


def _rows(name: str, settings: Settings | None) -> list[dict[str, str]]:
    with (folder(settings) / FILES[name]).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _bucket(text: str) -> int:
    return int(hashlib.sha256(text.strip().lower().encode()).hexdigest(), 16) % 5


def argq(settings: Settings | None = None) -> list[Item]:
    """Return ArgQ arguments with their stance; its own sets become fit / calibrate / test."""
    split: dict[str, Split] = {"train": "fit", "dev": "calibrate", "test": "test"}
    return [
        Item(r["argument"].strip(), r["topic"].strip(), int(r["stance_WA"]), split[r["set"]], "argq")
        for r in _rows("argq", settings)
        if r["set"] in split and r["stance_WA"] in ("1", "-1")
    ]


def claims(settings: Settings | None = None) -> list[Item]:
    """Return Claim Stance claims; motions whose hash bucket is 0 or 1 (of 5) are held out for the report."""
    return [
        Item(
            r["claims.claimCorrectedText"].strip(),
            r["topicText"].strip(),
            1 if r["claims.stance"] == "PRO" else -1,
            "test" if _bucket(r["topicText"]) < 2 else "fit",
            "claims",
            int(r["claims.targetsRelation"] or 0),
        )
        for r in _rows("claims", settings)
        if r["claims.stance"] in ("PRO", "CON")
    ]


def evidence(settings: Settings | None = None) -> list[Item]:
    """Return Evidence Sentences: stance 0 marks a sentence that is not evidence for either side.

    Evidence (label 1) has no side in this data; it is stored with stance 2, meaning "argues, side unknown".
    """
    out = []
    parts: tuple[tuple[str, Split], ...] = (("evidence_train", "fit"), ("evidence_test", "test"))
    for name, split in parts:
        out += [
            Item(r["candidate"].strip(), r["topic"].strip(), 2 if r["label"] == "1" else 0, split, "evidence")
            for r in _rows(name, settings)
        ]
    return out


def key_points(settings: Settings | None = None) -> list[KeyPointPair]:
    """Return ArgKP pairs, split by topic: ArgQ test topics (and topics ArgQ lacks) are the report."""
    sets = {r["topic"].strip(): r["set"] for r in _rows("argq", settings)}
    split: dict[str, Split] = {"train": "fit", "dev": "calibrate", "test": "test"}
    return [
        KeyPointPair(
            r["argument"].strip(),
            r["key_point"].strip(),
            r["topic"].strip(),
            int(r["stance"]),
            r["label"] == "1",
            split.get(sets.get(r["topic"].strip(), "test"), "test"),
        )
        for r in _rows("argkp", settings)
        if r["label"] in ("0", "1")
    ]
