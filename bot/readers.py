"""Readers for the formats that need a library: HTML (trafilatura), PDF (pypdf), .docx (python-docx), and URLs.

Each is bounded against hostile files (tag depth, page count, unzipped size, download size) and says what is wrong
with a file it cannot read. ``bot.sources`` turns what they return into documents.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from bot.errors import SourceError
from bot.settings import Settings

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>")
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())


def html_depth(html: str) -> int:
    """Return the deepest tag nesting of an HTML text (void and self-closed tags do not nest)."""
    depth = deepest = 0
    for close, name, selfclose in _TAG.findall(html):
        if close:
            depth = max(0, depth - 1)
        elif not selfclose and name.lower() not in _VOID:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def read_html(html: str, origin: str, settings: Settings) -> tuple[dict[str, Any], str]:
    """Return the article text of an HTML page and its metadata (trafilatura); refuse a page nested too deep."""
    import trafilatura

    depth = html_depth(html)
    if depth > settings.max_html_depth:
        raise SourceError(
            f"{Path(origin).name} nests its tags {depth} deep, over the limit of {settings.max_html_depth}.",
            "Save the page's article text as .txt or .md, or raise BOT_MAX_HTML_DEPTH.",
        )

    body = trafilatura.extract(html, include_comments=False, include_tables=True, favor_precision=True) or ""
    meta_obj = trafilatura.extract_metadata(html)
    meta: dict[str, Any] = {}
    if meta_obj is not None:
        meta = {
            "title": meta_obj.title or "",
            "author": meta_obj.author or "",
            "publisher": meta_obj.sitename or "",
            "date": meta_obj.date or "",
            "url": meta_obj.url or "",
        }
    return meta, body


def read_pdf(data: bytes, origin: str, settings: Settings) -> list[tuple[int, str]]:
    """Return the text of each page of a PDF, numbered from 1; refuse an encrypted or overlong one."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    name = Path(origin).name
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise SourceError(
                f"{name} is an encrypted PDF.", "Remove the password (print to a new PDF) and upload that."
            )
        if len(reader.pages) > settings.max_pdf_pages:
            raise SourceError(
                f"{name} has {len(reader.pages)} pages, over the limit of {settings.max_pdf_pages}.",
                "Split the PDF into the parts you need, or raise BOT_MAX_PDF_PAGES.",
            )
        return [(i + 1, page.extract_text() or "") for i, page in enumerate(reader.pages)]
    except SourceError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        if "decrypt" in str(exc).lower() or "encrypt" in str(exc).lower():
            raise SourceError(f"{name} is an encrypted PDF.", "Remove the password and upload it again.") from exc
        raise SourceError(f"{name} is not a readable PDF ({exc}).", "Check that the file is a complete PDF.") from exc


def read_docx(data: bytes, origin: str, settings: Settings) -> tuple[dict[str, Any], str]:
    """Return the text of a .docx and its core properties; refuse a zip bomb or a broken file."""
    import zipfile

    import docx

    try:
        expanded = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise SourceError(
            f"{Path(origin).name} is not a readable .docx file ({exc}).",
            "Open it in a word processor and save it as .docx again.",
        ) from exc
    if expanded > settings.max_unzipped_mb * 1024 * 1024:
        raise SourceError(
            f"{Path(origin).name} expands to {expanded / 2**20:.0f} MB when unzipped, over the "
            f"{settings.max_unzipped_mb:g} MB limit (a .docx that size is almost certainly not a document).",
            "Save the text you need as a new .docx or .txt, or raise BOT_MAX_UNZIPPED_MB.",
        )
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise SourceError(
            f"{Path(origin).name} is not a readable .docx file ({exc}).",
            "Open it in a word processor and save it as .docx again.",
        ) from exc
    props = document.core_properties
    meta = {
        "title": props.title or "",
        "author": props.author or "",
        "date": str(props.created.date()) if props.created else "",
    }
    return meta, "\n\n".join(p.text for p in document.paragraphs)


def fetch(url: str, settings: Settings) -> tuple[bytes, str]:
    """Return the bytes of a URL (within the upload limit) and its content type."""
    import httpx

    limit = int(settings.max_upload_mb * 1024 * 1024)
    try:
        with httpx.stream(
            "GET", url, follow_redirects=True, timeout=settings.url_timeout, headers={"User-Agent": "debate-bot/0.1"}
        ) as response:
            response.raise_for_status()
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise SourceError(
                        f"{url} is over the {settings.max_upload_mb:g} MB limit.",
                        "Download the part you need and add it as a file.",
                    )
                chunks.append(chunk)
            return b"".join(chunks), response.headers.get("content-type", "")
    except httpx.HTTPStatusError as exc:
        raise SourceError(f"Fetching {url} failed: HTTP {exc.response.status_code}.", "Check the URL.") from exc
    except httpx.HTTPError as exc:
        raise SourceError(
            f"Fetching {url} failed: {exc}.", "Check the URL and your network, or save the page as a file."
        ) from exc


def suffix_for_content_type(content_type: str, url: str) -> str:
    """Return the file suffix a fetched URL is read as."""
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == "application/pdf" or url.lower().endswith(".pdf"):
        return ".pdf"
    if ctype in ("text/plain",):
        return ".txt"
    if ctype in ("text/markdown",):
        return ".md"
    if "wordprocessingml" in ctype:
        return ".docx"
    return ".html"
