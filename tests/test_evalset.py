"""Eval sets (bot.evalset): the near-miss label is read, and refused where it cannot apply."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.errors import InputError
from bot.evalset import load_eval


def _write(tmp_path: Path, question: dict[str, object]) -> Path:
    path = tmp_path / "set.yaml"
    path.write_text(yaml.safe_dump({"questions": [question]}), encoding="utf-8")
    return path


def test_near_miss_is_read_on_unanswerable_questions(tmp_path: Path) -> None:
    item = {"id": "n1", "question": "How many homicides in 2019?", "type": "unanswerable", "split": "dev"}
    assert load_eval(_write(tmp_path, item)).questions[0].near_miss is False
    assert load_eval(_write(tmp_path, {**item, "near_miss": True})).questions[0].near_miss is True


@pytest.mark.parametrize("value", [True, "yes"])
def test_a_wrong_near_miss_label_says_what_to_do(tmp_path: Path, value: object) -> None:
    item = {
        "id": "n2",
        "question": "How many?",
        "type": "factual",
        "gold_sources": ["s"],
        "answer": "4",
        "split": "dev",
    }
    if value == "yes":
        item = {"id": "n2", "question": "How many?", "type": "unanswerable", "split": "dev"}
    with pytest.raises(InputError, match="near_miss") as err:
        load_eval(_write(tmp_path, {**item, "near_miss": value}))
    assert "only on an unanswerable question" in str(err.value)


def test_the_shipped_near_misses_are_all_on_topic_unanswerable_items() -> None:
    questions = load_eval().questions
    near = [q for q in questions if q.near_miss]
    assert near and all(q.type == "unanswerable" and not q.gold_sources for q in near)
    assert {q.split for q in near} == {"dev", "test"}
