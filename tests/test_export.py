"""Export: Verbatim-style .docx (headings, bold cite, highlighted evidence), Markdown, evidence files, PDF check."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_COLOR_INDEX

from bot.brief import brief
from bot.errors import InputError
from bot.export import brief_to_docx, brief_to_markdown, cards_to_docx, cards_to_markdown, cite_parts
from bot.settings import Settings
from bot.types import Brief
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
        assert not any(r.bold for r in cite.runs[1:]) and card.cite.url in cite.text
        assert body.style.name == "Normal" and body.text == card.evidence
        marked = [r.text for r in body.runs if r.underline and r.font.highlight_color == WD_COLOR_INDEX.YELLOW]
        assert marked == [h.text for h in sorted(card.highlight, key=lambda h: h.start)]
        assert not any(r.underline for r in body.runs if r.text not in marked)


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
    assert f"**{card.highlight[0].text}**" in text.replace("\\", "")


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


def test_docx_converts_to_pdf(small_brief: Brief, tmp_path: Path) -> None:
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-writer), so the PDF check cannot run")
    path = brief_to_docx(small_brief, tmp_path / "brief.docx")
    subprocess.run(
        [office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pdf = tmp_path / "brief.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
