"""Files and URLs -> documents: normalised text (the text all offsets refer to) plus provenance."""

from __future__ import annotations

import bisect
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.errors import InputError, SourceError
from bot.readers import fetch, read_docx, read_html, read_pdf, suffix_for_content_type
from bot.settings import Settings

META_FIELDS = ("title", "publisher", "author", "date", "url", "kind", "leaning", "digest", "credentials")
KINDS = ("news", "ngo-report", "government", "academic", "international-body", "data")
LEANINGS = ("pro", "con", "mixed")
SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx")
SKIPPED_NAMES = frozenset({"readme.md", "readme.txt"})
"""File names a folder scan passes over: folder documentation, not sources."""


@dataclass
class Document:
    """A source's stored text, its provenance and where its pages start."""

    source_id: str
    text: str
    meta: dict[str, str]
    origin: str
    pages: list[tuple[int, int]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    encoding: str = ""
    """How the file's bytes were decoded ("utf-8", "cp1252", "utf-16", ...); "" for PDF and DOCX."""

    def page_at(self, offset: int) -> int | None:
        """Return the page number holding ``offset``, or None for sources without pages."""
        return page_at(self.pages, offset)


def page_at(pages: list[tuple[int, int]] | list[list[int]], offset: int) -> int | None:
    """Return the page whose start offset is the last one at or before ``offset``."""
    if not pages:
        return None
    starts = [start for _, start in pages]
    i = bisect.bisect_right(starts, offset) - 1
    return int(pages[max(i, 0)][0])


# --- text normalisation -----------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")


def normalize_text(raw: str) -> str:
    """Normalise Unicode and whitespace once; the result is what offsets refer to."""
    text = unicodedata.normalize("NFC", raw)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# Web-page furniture that is not article text. Matched per line, case-insensitively.
_BOILERPLATE = re.compile(
    r"""^(
        (image|photo|picture|video|graphic|illustration|featured\ image)s?\s*(source|credit|courtesy|by)s?\s*[:\-–|]
      | (you\ (might|may)\ also\ (be\ interested\ in|like|enjoy)|also\ read|read\ more|read\ also
         |related\ (articles?|stories|news|posts)|recommended(\ for\ you)?|more\ from\ |trending(\ now)?
         |don'?t\ miss|more\ stories|latest\ news)\b
      | (advertisement|sponsored(\ content)?|subscribe(\ now|\ to\ our)?|sign\ up\ for|follow\ us|share\ (this|on)
         |click\ here|listen\ to\ this\ article|skip\ to\ (main\ )?content|cookie(s)?\ (policy|settings))\b
      | (©|\(c\)\s|copyright\s).*
      | .*\ball\ rights\ reserved\b.*
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_SENTENCE_END = re.compile(r"[.!?:;\"”’)]$")


def strip_boilerplate(text: str) -> tuple[str, list[str]]:
    """Drop web-page boilerplate lines (captions, 'read more' links); return the text and what was dropped.

    A short fragment right before a caption line (its alt text, e.g. "El Salvador's") goes with it.
    """
    lines = text.split("\n")
    drop = [bool(line) and bool(_BOILERPLATE.match(line)) for line in lines]
    for i, is_caption in enumerate(list(drop)):
        if is_caption and i > 0:
            prev = lines[i - 1]
            if prev and len(prev.split()) <= 4 and not _SENTENCE_END.search(prev):
                drop[i - 1] = True
    kept = [line for line, d in zip(lines, drop, strict=True) if not d]
    dropped = [line for line, d in zip(lines, drop, strict=True) if d]
    return normalize_text("\n".join(kept)), dropped


# --- ids ----------------------------------------------------------------------------------------


def slugify(name: str, max_len: int = 80) -> str:
    """Make a safe, readable id from a file name or URL."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:max_len].strip("-") or "source"


def source_id_for(origin: str) -> str:
    """Return the source id of a path (its file stem) or URL (host and path, plus a short hash)."""
    if is_url(origin):
        digest = hashlib.sha1(origin.encode()).hexdigest()[:6]
        bare = re.sub(r"^https?://(www\.)?", "", origin)
        return f"{slugify(bare, 60)}-{digest}"
    return slugify(Path(origin).stem)


def is_url(origin: str) -> bool:
    """Return True when ``origin`` is an http(s) URL."""
    return origin.startswith(("http://", "https://"))


# --- readers ------------------------------------------------------------------------------------


def read_source(origin: str | Path, settings: Settings, *, source_id: str | None = None) -> Document:
    """Read a file or http(s) URL into a Document, or raise SourceError/InputError saying why not."""
    origin_s = str(origin)
    sid = source_id or source_id_for(origin_s)
    if is_url(origin_s):
        data, content_type = fetch(origin_s, settings)
        suffix = suffix_for_content_type(content_type, origin_s)
        return _from_bytes(data, suffix, sid, origin_s, settings, url=origin_s)
    path = Path(origin_s)
    if not path.exists():
        raise InputError(f"No such file: {path}.", "Check the path and try again.")
    if not path.is_file():
        raise InputError(f"{path} is not a file.", "Pass a file, a folder of files or an http(s) URL.")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise SourceError(
            f"Unsupported file type {suffix or '(none)'!r} for {path.name}.",
            f"Use one of: {', '.join(SUFFIXES)}.",
        )
    check_size(path.stat().st_size, path.name, settings)
    return _from_bytes(path.read_bytes(), suffix, sid, str(path.resolve()), settings)


def check_size(size: int, name: str, settings: Settings) -> None:
    """Reject empty files and files over the configured size limit."""
    if size == 0:
        raise SourceError(f"{name} is empty (0 bytes).", "Add text to the file or pick another one.")
    limit = int(settings.max_upload_mb * 1024 * 1024)
    if size > limit:
        raise SourceError(
            f"{name} is {size / 1024 / 1024:.1f} MB, over the {settings.max_upload_mb:g} MB limit.",
            "Split the file, or raise BOT_MAX_UPLOAD_MB.",
        )


def _from_bytes(data: bytes, suffix: str, sid: str, origin: str, settings: Settings, *, url: str = "") -> Document:
    check_size(len(data), Path(origin).name or origin, settings)
    meta: dict[str, str] = {}
    pages: list[tuple[int, str]]
    encoding = ""
    if suffix in (".md", ".markdown", ".txt", ".html", ".htm"):
        decoded, encoding = decode_text(data, origin)
    if suffix in (".md", ".markdown"):
        meta, body = _front_matter(decoded, origin)
        pages = [(0, _strip_markdown(body))]
    elif suffix == ".txt":
        meta, body = _front_matter(decoded, origin)
        pages = [(0, body)]
    elif suffix in (".html", ".htm"):
        meta, body = read_html(decoded, origin, settings)
        pages = [(0, body)]
    elif suffix == ".pdf":
        pages = read_pdf(data, origin, settings)
    elif suffix == ".docx":
        meta, body = read_docx(data, origin, settings)
        pages = [(0, body)]
    else:  # pragma: no cover - read_source checks the suffix first
        raise SourceError(f"Unsupported file type {suffix!r}.", f"Use one of: {', '.join(SUFFIXES)}.")

    text_parts: list[str] = []
    page_starts: list[tuple[int, int]] = []
    dropped: list[str] = []
    offset = 0
    for number, raw in pages:
        cleaned, lost = strip_boilerplate(normalize_text(raw))
        dropped.extend(lost)
        if not cleaned:
            continue
        if text_parts:
            offset += 2  # the "\n\n" joining pages
        if number:
            page_starts.append((number, offset))
        text_parts.append(cleaned)
        offset += len(cleaned)
    text = "\n\n".join(text_parts)
    if not text.strip():
        hint = "If it is a scanned PDF, run OCR on it first." if suffix == ".pdf" else "Check that it holds text."
        raise SourceError(f"No readable text in {Path(origin).name or origin}.", hint)

    full_meta = {key: str(meta.get(key) or "") for key in META_FIELDS}
    full_meta["digest"] = "true" if full_meta["digest"].strip().lower() in ("true", "yes", "1") else ""
    if url and not full_meta["url"]:
        full_meta["url"] = url
    if not full_meta["title"]:
        full_meta["title"] = _first_line_title(text) or Path(origin).stem
    _check_meta(full_meta, origin)
    return Document(sid, text, full_meta, origin, page_starts, dropped, encoding)


_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_READABLE = re.compile(r"[\w\s.,;:!?¿¡'\"()\-–—«»“”‘’/%&$€@#*+=\[\]]")


def decode_text(data: bytes, origin: str) -> tuple[str, str]:
    """Return a text file's characters and the encoding used to read them.

    In order: a byte-order mark (UTF-8, UTF-16); UTF-8; Windows-1252, then Latin-1, when every character they give
    is one that Spanish, Portuguese or English text uses (Salvadoran sources are often saved that way); and only
    then charset-normalizer's guess, which confuses Windows-1252 with Central European code pages on short texts.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name), name.replace("-sig", "")
            except UnicodeDecodeError as exc:
                raise SourceError(
                    f"{Path(origin).name} starts with a {name} byte-order mark but is not {name}: {exc}.",
                    "Save it again as UTF-8 text.",
                ) from exc
    if b"\x00" in data[:8192]:
        raise SourceError(
            f"{Path(origin).name} looks like a binary file, not text.",
            "Upload text, Markdown, HTML, PDF or DOCX, with the matching file extension.",
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for name in ("cp1252", "latin-1"):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        if _reads_as_latin_text(text):
            return text, name
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise SourceError(
            f"{Path(origin).name} is not UTF-8 and its encoding could not be detected.",
            "Save it as UTF-8 text and try again.",
        )
    return str(best), str(best.encoding)


def _reads_as_latin_text(text: str) -> bool:
    """Return True when a decoding gives only characters of Western European prose (no C1 controls, no symbols soup)."""
    if any("\x80" <= ch <= "\x9f" for ch in text):
        return False
    odd = [ch for ch in text if not _READABLE.match(ch) and ch not in "<>{}|~^`_\\"]
    letters = [ch for ch in text if ch.isalpha() and not ch.isascii()]
    latin = set("áéíóúüñÁÉÍÓÚÜÑàèìòùâêîôûãõçÀÈÌÒÙÂÊÎÔÛÃÕÇäëïöÄËÏÖœŒ")
    return len(odd) <= max(2, len(text) // 500) and all(ch in latin for ch in letters)


def _front_matter(text: str, origin: str) -> tuple[dict[str, Any], str]:
    if not text.lstrip("\ufeff").startswith("---"):
        return {}, text
    import frontmatter
    import yaml

    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as exc:
        raise SourceError(
            f"The YAML front matter of {Path(origin).name} is invalid: {exc}.",
            "Fix the block between the '---' lines (quote values that contain ':').",
        ) from exc
    meta = {key: ("" if value is None else str(value)) for key, value in post.metadata.items()}
    return meta, post.content


def _check_meta(meta: dict[str, str], origin: str) -> None:
    if meta["kind"] and meta["kind"] not in KINDS:
        raise SourceError(
            f"{Path(origin).name}: front-matter kind {meta['kind']!r} is not known.", f"Use one of: {', '.join(KINDS)}."
        )
    if meta["leaning"] and meta["leaning"] not in LEANINGS:
        raise SourceError(
            f"{Path(origin).name}: front-matter leaning {meta['leaning']!r} is not known.",
            f"Use one of: {', '.join(LEANINGS)}.",
        )


_MD_RULES = [
    (re.compile(r"<!--.*?-->", re.DOTALL), ""),
    (re.compile(r"^```.*$", re.MULTILINE), ""),
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE), ""),
    (re.compile(r"^\s{0,3}>\s?", re.MULTILINE), ""),
    (re.compile(r"^\s*[-*+]\s+", re.MULTILINE), ""),
    (re.compile(r"(\*\*|__)(\S(?:.*?\S)?)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(\S(?:[^*]*?\S)?)\*(?![\w*])"), r"\1"),
    (re.compile(r"^\s*([-*_]\s*){3,}$", re.MULTILINE), ""),
]


def _strip_markdown(body: str) -> str:
    for pattern, repl in _MD_RULES:
        body = pattern.sub(repl, body)
    return body


def _first_line_title(text: str) -> str:
    first = text.split("\n", 1)[0].strip()
    return first if 0 < len(first) <= 120 else ""
