"""Export: Verbatim-style .docx (headings, cite style, underline and highlight layers, shrink), Markdown, evidence
files, the LibreOffice render check."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_COLOR_INDEX
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph
from pypdf import PdfReader

from bot.debate.brief import brief
from bot.debate.export import (
    CITE_STYLE,
    UNDERLINE_STYLE,
    VERBATIM_ALIASES,
    brief_to_docx,
    brief_to_markdown,
    cards_to_docx,
    cards_to_markdown,
    cite_parts,
)
from bot.errors import InputError
from bot.settings import Settings
from bot.types import Brief, Card
from tests.test_brief import MOTION


@pytest.fixture(scope="module")
def small_brief(corpus_index: Settings) -> Brief:
    return brief(MOTION, per_side=3, settings=corpus_index)


def test_docx_follows_verbatim(small_brief: Brief, tmp_path: Path) -> None:
    path = brief_to_docx(small_brief, tmp_path / "brief.docx")
    doc = Document(str(path))
    paras = doc.paragraphs
    styles = [p.style.name for p in paras]
    assert styles[0] == "Heading 1" and paras[0].text == MOTION
    assert [p.text for p in paras if p.style.name == "Heading 2"] == ["Pro: for the motion", "Con: against the motion"]
    blocks = {p.text for p in paras if p.style.name == "Heading 3"}
    assert blocks == {small_brief.contentions[c.contention] for c in small_brief.pro + small_brief.con}
    cards = small_brief.pro + small_brief.con
    tags = [i for i, p in enumerate(paras) if p.style.name == "Heading 4"]
    assert len(tags) == len(cards)
    # Headings never skip a level: a tag sits under a block, a block under a hat, a hat under the pocket.
    levels = [int(s.split()[-1]) for s in styles if s.startswith("Heading")]
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels))
    by_tag_order = [c for side in ("pro", "con") for c in _ordered(small_brief, side)]
    for i, card in zip(tags, by_tag_order, strict=True):
        tag, cite, body = paras[i], paras[i + 1], paras[i + 2]
        assert tag.text == card.tag
        bold, _ = cite_parts(card)
        assert cite.runs[0].bold and cite.runs[0].text == bold and card.cite.year[2:] in bold
        assert cite.runs[0].style.name == CITE_STYLE
        assert not any(r.bold for r in cite.runs[1:]) and card.cite.url in cite.text
        assert body.style.name == "Normal" and body.text == card.evidence
        assert_layers(body, card)


def assert_layers(body: Paragraph, card: Card, shrink: bool = False) -> None:
    """The body's runs are the card's layers: the highlight yellow in the underline style, the rest of the underline
    in the underline style alone, everything else plain (8 pt when shrunk)."""
    at, high, under = card.start, [], []
    for run in body.runs:
        span = (at, at + len(run.text))
        at = span[1]
        if run.font.highlight_color == WD_COLOR_INDEX.YELLOW:
            assert run.style.name == UNDERLINE_STYLE
            high.append(span)
        elif run.style.name == UNDERLINE_STYLE:
            under.append(span)
        else:
            assert not run.underline and run.style.name == "Default Paragraph Font"
            assert run.font.size == (Pt(8) if shrink else None)
    assert at == card.end
    assert _chars(high) == _chars((h.start, h.end) for h in card.highlight)
    assert _chars(high + under) == _chars((u.start, u.end) for u in card.underline)


def _chars(spans: Iterable[tuple[int, int]]) -> set[int]:
    return {i for a, b in spans for i in range(a, b)}


def _ordered(b: Brief, side: str) -> list:  # cards in the export's block order (the motion's contention order)
    order = list(b.contentions)
    return sorted(getattr(b, side), key=lambda c: order.index(c.contention))


def test_markdown(small_brief: Brief) -> None:
    text = brief_to_markdown(small_brief)
    lines = text.splitlines()
    assert lines[0].startswith("# El Salvador") and "## Pro: for the motion" in lines
    assert sum(line.startswith("#### ") for line in lines) == len(small_brief.pro) + len(small_brief.con)
    card = small_brief.con[0]
    bold, _ = cite_parts(card)
    assert f"**{bold}**" in text
    plain = text.replace("\\", "")
    assert f"**<u>{card.highlight[0].text}</u>**" in plain
    unread = [u for u in card.underline if not any(u.start <= h.start < u.end for h in card.highlight)]
    assert all(f"<u>{u.text}</u>" in plain for u in unread)
    shrunk = brief_to_markdown(small_brief, shrink=True)
    assert "<small>" in shrunk and "<small>" not in text


def test_evidence_file_exports(small_brief: Brief, tmp_path: Path) -> None:
    cards = [small_brief.con[0], small_brief.pro[0], small_brief.con[1]]
    path = cards_to_docx(cards, tmp_path / "file.docx", "My evidence")
    paras = Document(str(path)).paragraphs
    assert paras[0].text == "My evidence" and paras[0].style.name == "Heading 1"
    assert [p.text for p in paras if p.style.name == "Heading 2"] == ["Pro: for the motion", "Con: against the motion"]
    assert sum(p.style.name == "Heading 4" for p in paras) == 3
    text = cards_to_markdown(cards, "My evidence")
    assert text.startswith("# My evidence\n") and text.count("\n#### ") == 3


def test_bad_paths(small_brief: Brief, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"\.docx"):
        brief_to_docx(small_brief, tmp_path / "brief.txt")
    with pytest.raises(InputError, match="does not exist"):
        brief_to_docx(small_brief, tmp_path / "missing" / "brief.docx")


def test_verbatim_styles_and_shrink(small_brief: Brief, tmp_path: Path) -> None:
    path = brief_to_docx(small_brief, tmp_path / "shrunk.docx", shrink=True)
    doc = Document(str(path))
    styles = {s.name: s for s in doc.styles}
    assert styles[UNDERLINE_STYLE].font.underline and not styles[UNDERLINE_STYLE].font.bold
    assert styles[CITE_STYLE].font.bold and styles[CITE_STYLE].font.size == Pt(13)
    aliases = {
        s.name: s.element.find(qn("w:aliases")).get(qn("w:val")) for s in styles.values() if s.name in VERBATIM_ALIASES
    }
    assert aliases == {UNDERLINE_STYLE: "Underline", CITE_STYLE: "Cite"}  # Verbatim 6's names for them
    bodies = [
        p for p in doc.paragraphs if p.style.name == "Normal" and any(r.style.name == UNDERLINE_STYLE for r in p.runs)
    ]
    cards = {c.evidence: c for c in small_brief.pro + small_brief.con}
    assert len(bodies) == len(cards)
    for body in bodies:
        assert_layers(body, cards[body.text], shrink=True)


def test_docx_renders_in_libreoffice(small_brief: Brief, tmp_path: Path) -> None:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        pytest.skip(
            "LibreOffice is not installed, so the render check cannot run "
            "(apt-get install -y --no-install-recommends libreoffice-writer-nogui; CI installs it)"
        )
    path = brief_to_docx(small_brief, tmp_path / "brief.docx")
    profile = (tmp_path / "lo-profile").as_uri()  # a profile of its own: no clash with another running LibreOffice
    subprocess.run(
        [
            office,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = tmp_path / "brief.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
    rendered = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(str(pdf)).pages)
    card = small_brief.pro[0]
    for text in (small_brief.motion, card.tag, cite_parts(card)[0], card.highlight[0].text, card.evidence[-60:]):
        assert " ".join(text.split()) in rendered, text
