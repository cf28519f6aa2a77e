"""clash(): figures that differ across sources, each with a verified card; topics file; CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.__main__ import main
from bot.debate.clash import clash, load_topics
from bot.errors import InputError, NotFoundError
from bot.settings import Settings
from tests.test_brief import assert_cards_exact


def _number(value: str) -> int:
    return int(value.replace(",", ""))


def test_deaths_in_custody(corpus_index: Settings) -> None:
    (point,) = clash(topics=["deaths-in-custody"], settings=corpus_index)
    assert point.id == "deaths-in-custody"
    values = [_number(s.value) for s in point.sides]
    assert values == sorted(values) and len(set(values)) >= 3
    assert len({s.card.source_id for s in point.sides}) >= 3
    for side in point.sides:
        (mark,) = side.card.highlight
        assert side.value in mark.text and "custody" in side.card.evidence.lower() + mark.text
        assert side.value in side.card.tag and side.card.cite.publisher in side.card.tag
    assert_cards_exact([s.card for s in point.sides], corpus_index)


def test_default_topics(corpus_index: Settings) -> None:
    points = {p.id: p for p in clash(settings=corpus_index)}
    assert {"homicides-2023", "deaths-in-custody", "arrests"} <= set(points)
    homicides = points["homicides-2023"]
    by_value: dict[int, set[str]] = {}
    for side in homicides.sides:
        assert re.search(r"\b2023\b", side.card.evidence)
        by_value.setdefault(_number(side.value), set()).add(side.card.source_id)
    assert 154 in by_value and len(by_value) >= 2  # the official count, and at least one other


def test_topic_errors(corpus_index: Settings) -> None:
    with pytest.raises(NotFoundError, match="no-such-topic"):
        clash(topics=["no-such-topic"], settings=corpus_index)
    with pytest.raises(InputError):
        clash(topics="arrests", settings=corpus_index)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("topics: [", "Cannot read"),
        ("nothing: 1\n", "no 'topics' list"),
        ("topics:\n  - label: L\n", "no id or label"),
        ("topics:\n  - {id: a, label: L, value: '(unclosed'}\n", "not a valid regular expression"),
        ("topics:\n  - {id: a, label: L, value: '\\d+'}\n", "no group named value"),
        ("topics:\n  - {id: a, label: L, value: '(?P<value>\\d+)', require: [3]}\n", "not a pattern"),
    ],
)
def test_malformed_topics_file(corpus_index: Settings, tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "topics.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_topics(corpus_index.model_copy(update={"clash_topics_file": path}))


def test_cli_clash(corpus_index: Settings, use_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    use_env(corpus_index)
    assert main(["clash", "--json", "--topic", "arrests"]) == 0
    (point,) = json.loads(capsys.readouterr().out)
    assert point["id"] == "arrests" and len(point["sides"]) >= 2
    assert main(["clash"]) == 0
    assert "[deaths-in-custody]" in capsys.readouterr().out
    assert main(["clash", "--topic", "nope"]) == 2
    assert "nope" in capsys.readouterr().err
