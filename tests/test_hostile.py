"""Bounded work on hostile files: a .docx zip bomb, a PDF of 10,000 pages, a 100 MB HTML page and deeply nested
HTML are each refused within stated bounds (settings), with a clear message, and nothing else changes."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest

from bot.errors import SourceError
from bot.sources import read_source
from tests.conftest import make_settings


def zip_bomb(path: Path, megabytes: int) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with zf.open("word/document.xml", "w") as fh:
            block = b"\0" * 2**20
            for _ in range(megabytes):
                fh.write(block)


def big_pdf(path: Path, pages: int) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=72, height=72)
    with path.open("wb") as fh:
        writer.write(fh)


HOSTILE = {
    "bomb.docx": (lambda p: zip_bomb(p, 150), "expands to"),
    "pages.pdf": (lambda p: big_pdf(p, 10_000), "10000 pages"),
    "huge.html": (lambda p: p.write_bytes(b"<p>" + b"x" * (100 * 2**20) + b"</p>"), "MB limit"),
    "nested.html": (lambda p: p.write_text("<div>" * 5000 + "deep" + "</div>" * 5000, encoding="utf-8"), "deep"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_is_refused_quickly_and_clearly(tmp_path: Path, name: str) -> None:
    make, message = HOSTILE[name]
    path = tmp_path / name
    make(path)
    s = make_settings(tmp_path / "data", tmp_path)
    began = time.monotonic()
    with pytest.raises(SourceError, match=message) as info:
        read_source(path, s)
    assert time.monotonic() - began < 30
    assert "raise BOT_" in str(info.value) or "Split" in str(info.value)  # says what to do


def test_hostile_files_change_nothing_else(tmp_path: Path) -> None:
    from bot.ingest import ingest
    from bot.manifest import list_sources

    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "good.md").write_text("The prison holds 40,000 inmates, officials said.", encoding="utf-8")
    (folder / "nested.html").write_text("<div>" * 5000 + "deep" + "</div>" * 5000, encoding="utf-8")
    zip_bomb(folder / "bomb.docx", 150)
    s = make_settings(tmp_path / "data", folder)
    report = ingest(settings=s)
    assert report.added == ["good"] and len(report.failed) == 2
    assert [x.id for x in list_sources(s)] == ["good"]
