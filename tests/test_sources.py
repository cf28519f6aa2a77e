"""Readers: every format yields normalised text with provenance; bad files give clear errors."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.errors import InputError, SourceError
from bot.settings import Settings
from bot.sources import normalize_text, read_source, source_id_for, strip_boilerplate

from .conftest import FIXTURE_CORPUS, SHIPPED_CORPUS

SEED = SHIPPED_CORPUS / "cecot-article.md"


def test_markdown_front_matter_and_markup_stripped(settings: Settings) -> None:
    doc = read_source(FIXTURE_CORPUS / "prison-capacity.md", settings)
    assert doc.source_id == "prison-capacity"
    assert doc.meta["publisher"] == "Test Fixture Desk"
    assert doc.meta["kind"] == "news" and doc.meta["leaning"] == "mixed"
    assert "#" not in doc.text and "---" not in doc.text
    assert "about 40,000 inmates" in doc.text


def test_text_is_normalised_once(settings: Settings, tmp_path: Path) -> None:
    raw = "Title line\r\n\r\n\r\n\r\nFirst\u00a0 sentence\there.\u200b  Second one.\r\n"
    path = tmp_path / "odd.txt"
    path.write_text(raw, encoding="utf-8")
    doc = read_source(path, settings)
    assert doc.text == "Title line\n\nFirst sentence here. Second one."
    assert normalize_text(doc.text) == doc.text  # idempotent: offsets stay valid


def test_seed_boilerplate_is_not_served(settings: Settings) -> None:
    doc = read_source(SEED, settings)
    assert "Image Source" not in doc.text
    assert "You might also be interested in" not in doc.text
    assert any(line.startswith("You might also be interested") for line in doc.dropped)
    assert "room for about 40,000 inmates" in doc.text


def test_boilerplate_rules_are_general() -> None:
    text = "Real sentence one.\nPhoto credit: Reuters\nRead more: another story\nAdvertisement\nReal sentence two."
    kept, dropped = strip_boilerplate(text)
    assert kept == "Real sentence one.\nReal sentence two."
    assert len(dropped) == 3


def test_html_main_text_and_title(settings: Settings, tmp_path: Path) -> None:
    body = " ".join(f"The prison review found problem number {i} in the cell blocks." for i in range(12))
    html = (
        "<html><head><title>Review of the prison</title></head><body><nav>Home | News | Sport</nav>"
        f"<article><h1>Review of the prison</h1><p>{body}</p><script>alert('x')</script></article>"
        "<footer>Copyright 2024 Example</footer></body></html>"
    )
    path = tmp_path / "review.html"
    path.write_text(html, encoding="utf-8")
    doc = read_source(path, settings)
    assert doc.meta["title"] == "Review of the prison"
    assert "problem number 11" in doc.text
    assert "alert(" not in doc.text and "Home | News" not in doc.text


def _make_pdf(path: Path, pages: list[str]) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    for text in pages:
        c.drawString(72, 750, text)
        c.showPage()
    c.save()


def test_pdf_keeps_page_numbers(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    _make_pdf(path, ["Page one says the prison opened in 2023.", "Page two says 2,000 inmates were moved."])
    doc = read_source(path, settings)
    second = doc.text.index("Page two")
    assert doc.page_at(0) == 1
    assert doc.page_at(second) == 2


def test_docx(settings: Settings, tmp_path: Path) -> None:
    import docx

    d = docx.Document()
    d.core_properties.title = "Docx source"
    d.add_paragraph("The first paragraph of a Word file.")
    d.add_paragraph("The second paragraph mentions CECOT.")
    path = tmp_path / "word.docx"
    d.save(str(path))
    doc = read_source(path, settings)
    assert doc.meta["title"] == "Docx source"
    assert doc.text == "The first paragraph of a Word file.\n\nThe second paragraph mentions CECOT."


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/missing":
            self.send_error(404)
            return
        body = (
            "<html><head><title>Served page</title></head><body><article><p>"
            + "A page served over HTTP about the mega-prison and its 40,000 places. " * 5
            + "</p></article></body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_url_is_fetched_and_extracted(settings: Settings, http_server: str) -> None:
    url = f"{http_server}/story"
    doc = read_source(url, settings)
    assert doc.meta["title"] == "Served page"
    assert doc.meta["url"] == url
    assert "40,000 places" in doc.text
    assert doc.source_id == source_id_for(url) and doc.source_id.startswith("127-0-0-1")


def test_url_http_error_is_clear(settings: Settings, http_server: str) -> None:
    with pytest.raises(SourceError, match="HTTP 404"):
        read_source(f"{http_server}/missing", settings)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"", "empty"),
        ("binary.txt", b"\x00\x01\x02binary", "binary"),
        ("broken.pdf", b"%PDF-1.4 not really a pdf", "not a readable PDF"),
        ("broken.docx", b"PK not a zip", "not a readable .docx"),
        ("notes.xyz", b"some text", "Unsupported file type"),
        ("bad-front.md", b"---\ntitle: a: b: c\n---\nBody text.", "front matter"),
        ("bad-kind.md", b"---\nkind: blog\n---\nBody text.", "kind"),
    ],
)
def test_bad_files_give_clear_errors(settings: Settings, tmp_path: Path, name: str, data: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(SourceError, match=message) as info:
        read_source(path, settings)
    assert info.value.fix, "every error says what to do"


def test_missing_file(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="No such file"):
        read_source(tmp_path / "nope.md", settings)


def test_size_limit(tmp_path: Path) -> None:
    from .conftest import make_settings

    small = make_settings(tmp_path / "d", max_upload_mb=0.001)
    path = tmp_path / "big.txt"
    path.write_text("word " * 1000)
    with pytest.raises(SourceError, match=r"over the 0\.001 MB limit"):
        read_source(path, small)


def test_non_utf8_text_is_decoded(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("La cárcel de Tecoluca tiene celdas para muchos presos según el gobierno.".encode("latin-1"))
    doc = read_source(path, settings)
    assert "cárcel" in doc.text
