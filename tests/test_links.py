"""Only http(s) URLs ever become links (app, .docx, Markdown); anything else is text, and ingest warns about it.
Markup planted in a source's title, publisher and text stays escaped."""

from __future__ import annotations

import re
from pathlib import Path

import docx
import pytest

from bot.answer import ask
from bot.debate.brief import brief
from bot.debate.export import brief_to_docx, brief_to_markdown
from bot.render import answer_html, card_html
from bot.settings import Settings
from bot.types import web_url
from tests.conftest import make_settings

HOSTILE = """---
title: "Prison <script>alert('t')</script> report"
publisher: "<img src=x onerror=alert(1)> Desk"
author: "Mallory"
date: "2024-01-01"
url: "javascript:alert(document.cookie)"
kind: news
---
The hostile prison holds 40,000 inmates <b onclick="alert(2)">in bold</b>, the warden said in a statement.

Critics say the hostile prison is overcrowded and that its inmates are denied visits, lawyers and medical care.
"""


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.org/a", True),
        ("http://example.org", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,<b>x</b>", False),
        ("file:///etc/passwd", False),
        ("//example.org/x", False),
        ("", False),
    ],
)
def test_web_url(url: str, ok: bool) -> None:
    assert bool(web_url(url)) is ok


@pytest.fixture(scope="module", name="hostile")
def hostile_fixture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, object]:
    from bot.ingest import ingest

    root = tmp_path_factory.mktemp("hostile")
    (root / "corpus").mkdir()
    (root / "corpus" / "hostile.md").write_text(HOSTILE, encoding="utf-8")
    s = make_settings(root / "data", root / "corpus")
    return s, ingest(settings=s)


def test_ingest_warns_about_a_non_web_url(hostile: tuple[Settings, object]) -> None:
    _, report = hostile
    assert report.added == ["hostile"]  # type: ignore[attr-defined]
    assert "not an http(s) address" in " ".join(report.warnings["hostile"])  # type: ignore[attr-defined]


def test_no_link_and_no_markup_anywhere(hostile: tuple[Settings, object], tmp_path: Path) -> None:
    s, _ = hostile
    result = brief("The hostile prison is justified", per_side=2, settings=s)
    cards = result.pro + result.con
    assert cards
    answer = ask("How many inmates does the hostile prison hold?", settings=s)
    assert answer.citations
    pages = [card_html(c) for c in cards] + [answer_html(answer)]
    for page in pages:
        assert not re.search(r"href\s*=\s*\"\s*javascript", page, re.I)
        assert "<script" not in page and "<img" not in page and "<b onclick" not in page
        assert "&lt;script&gt;" in page or "&lt;img" in page or "&lt;b onclick" in page
    md = brief_to_markdown(result)
    assert "](javascript" not in md and "<javascript" not in md
    assert not re.search(r"(?<!\\)<(?:script|img|b )", md)  # markup is backslash-escaped, shown as text
    path = tmp_path / "b.docx"
    brief_to_docx(result, path)
    document = docx.Document(str(path))
    rels = [r.target_ref for r in document.part.rels.values() if "hyperlink" in r.reltype]
    assert not [r for r in rels if not web_url(r)]
