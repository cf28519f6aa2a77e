"""The shipped corpus and eval set hold together: provenance complete, gold answers really in their sources."""

from __future__ import annotations

import functools
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.evalset import load_eval
from bot.sources import KINDS, LEANINGS, META_FIELDS, read_source

from .conftest import SHIPPED_CORPUS, make_settings

SOURCES = sorted(p for p in SHIPPED_CORPUS.glob("*.md") if p.name.lower() != "readme.md")


@functools.cache
def stored_text(source_id: str) -> str:
    settings = make_settings(SHIPPED_CORPUS / ".unused", SHIPPED_CORPUS)
    return read_source(SHIPPED_CORPUS / f"{source_id}.md", settings).text


def test_every_source_has_full_provenance() -> None:
    assert len(SOURCES) >= 21
    for path in SOURCES:
        meta = read_source(path, make_settings(SHIPPED_CORPUS / ".unused", SHIPPED_CORPUS)).meta
        for key in META_FIELDS:
            assert meta[key].strip() or key in ("digest", "credentials"), f"{path.name} lacks {key}"
        assert meta["kind"] in KINDS and meta["leaning"] in LEANINGS
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta["date"]), f"{path.name}: date {meta['date']!r}"


def test_every_digest_says_so_and_the_seed_is_verbatim() -> None:
    for path in SOURCES:
        meta = read_source(path, make_settings(SHIPPED_CORPUS / ".unused", SHIPPED_CORPUS)).meta
        assert meta["digest"] == ("" if path.stem == "cecot-article" else "true"), path.name


# Sentences that speak to debaters or to a side, or whose subject is the document itself: what a source means for
# the motion is the bot's judgement (stance, contentions), never the source's text.
ADDRESSES_DEBATERS = re.compile(
    r"\b(?:debaters?|for the debate|the (?:pro|con|government|opposition) side|both sides|either side|"
    r"(?:is|are) useful (?:to|for)|can (?:cite|point to|use it)|the motion)\b",
    re.I,
)
ABOUT_ITSELF = re.compile(
    r"^(?:this|the present) (?:report|article|newsletter|digest|summary|piece|story|analysis|speech|poll|briefing|"
    r"statement|document|text|source)\b",
    re.I,
)


@pytest.mark.parametrize("path", [p for p in SOURCES if p.stem != "cecot-article"], ids=lambda p: p.stem)
def test_no_digest_sentence_addresses_debaters_or_itself(path: Path) -> None:
    from bot.text import split_sentences

    text = stored_text(path.stem)
    sentences = [text[a:b] for a, b in split_sentences(text)]
    assert [s for s in sentences if ADDRESSES_DEBATERS.search(s)] == []
    assert [s for s in sentences if ABOUT_ITSELF.search(s.strip())] == []


def test_the_phrasing_checks_catch_what_they_are_for() -> None:
    caught = [
        "For debaters, the report is useful to both sides.",
        "The pro side can cite an independent organisation.",
        "This newsletter explains the ruling.",
        "This report is the starting point of the arrangement.",
    ]
    assert all(ADDRESSES_DEBATERS.search(s) or ABOUT_ITSELF.search(s) for s in caught)
    fine = ["The report details the treatment of 40 Venezuelans.", "Amnesty counted 190 deaths in custody."]
    assert not any(ADDRESSES_DEBATERS.search(s) or ABOUT_ITSELF.search(s) for s in fine)


def test_both_sides_are_covered() -> None:
    leanings = Counter(
        read_source(p, make_settings(SHIPPED_CORPUS / ".unused", SHIPPED_CORPUS)).meta["leaning"] for p in SOURCES
    )
    assert leanings["pro"] >= 8 and leanings["con"] >= 8 and leanings["mixed"] >= 1, leanings


def test_readme_lists_every_file() -> None:
    readme = (SHIPPED_CORPUS / "README.md").read_text(encoding="utf-8")
    for path in SOURCES:
        assert f"`{path.name}`" in readme, f"corpus/README.md does not list {path.name}"


def test_motions_file() -> None:
    data = yaml.safe_load((SHIPPED_CORPUS / "motions.yaml").read_text(encoding="utf-8"))
    ids = {m["id"] for m in data["motions"]}
    assert data["default"] in ids
    for motion in data["motions"]:
        assert motion["text"].strip()
        assert len(motion["pro"]) >= 4 and len(motion["con"]) >= 4
        for side in ("pro", "con"):
            for contention in motion[side]:
                assert contention["id"] and contention["claim"].strip()


def test_eval_set_size() -> None:
    ev = load_eval()
    factual = [q for q in ev.questions if q.type == "factual"]
    unanswerable = [q for q in ev.questions if q.type == "unanswerable"]
    assert len(ev.questions) >= 60 and len(unanswerable) >= 12 and len(ev.stance) >= 40
    assert {q.split for q in factual} == {"dev", "test"}
    assert {q.split for q in unanswerable} == {"dev", "test"}
    assert {s.stance for s in ev.stance} == {"pro", "con", "neutral"}


@pytest.mark.parametrize("question", [q for q in load_eval().questions if q.type == "factual"], ids=lambda q: q.id)
def test_gold_answer_occurs_in_every_gold_source(question: object) -> None:
    for sid in question.gold_sources:  # type: ignore[attr-defined]
        assert (SHIPPED_CORPUS / f"{sid}.md").exists(), f"gold source {sid} does not exist"
        assert question.answer in stored_text(sid), f"{question.answer!r} not in {sid}"  # type: ignore[attr-defined]


def test_stance_passages_are_verbatim() -> None:
    for item in load_eval().stance:
        assert item.text in stored_text(item.source), f"{item.id}: text not found in {item.source}"
