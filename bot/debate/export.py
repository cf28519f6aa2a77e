"""Export cards as a Verbatim-style .docx (python-docx) or as Markdown.

Verbatim, the debate community's Word template, files evidence under four heading levels: Pocket (Heading 1,
here the motion or file title), Hat (Heading 2, the side), Block (Heading 3, the contention) and Tag (Heading 4,
the card's claim). Under each tag comes the cite line, "Lastname YY" in Verbatim's Cite character style ("Style 13
pt Bold") and the rest of the cite in plain text, then the evidence: the underline (the warrant) in Verbatim's
"Style Underline" character style, and inside it the part read aloud, also highlighted (yellow, Verbatim's default
highlight colour). The style names (and their Verbatim aliases "Cite" and "Underline") match Verbatim 6's template,
so a Verbatim user's own formatting takes over when the file is opened there. ``shrink=True`` prints the text that
is not underlined small (8 pt), as Verbatim's Shrink does.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.errors import InputError
from bot.phrases import BOT_WORDS_LABEL, DIGEST_LABEL
from bot.types import Brief, Card

Block = tuple[str, list[Card]]
Hat = tuple[str, list[Block]]

SIDE_TITLES = {"pro": "Pro: for the motion", "con": "Con: against the motion", "neutral": "Neutral"}
OTHER_BLOCK = "Other evidence"


def brief_sections(brief: Brief) -> list[Hat]:
    """Return a brief's hats (sides) and blocks (contentions, in the motion's order)."""
    return [(SIDE_TITLES[side], _blocks(getattr(brief, side), brief.contentions)) for side in ("pro", "con")]


def card_sections(cards: Sequence[Card], contentions: dict[str, str] | None = None) -> list[Hat]:
    """Return loose cards as hats by stance and blocks by contention, keeping their order within a block."""
    hats = []
    for side in ("pro", "con", "neutral"):
        mine = [c for c in cards if c.stance == side]
        if mine:
            hats.append((SIDE_TITLES[side], _blocks(mine, contentions or {})))
    return hats


def _blocks(cards: Sequence[Card], contentions: dict[str, str]) -> list[Block]:
    order = {cid: i for i, cid in enumerate(contentions)}
    groups: dict[str, list[Card]] = {}
    for card in cards:
        groups.setdefault(card.contention, []).append(card)
    keys = sorted(groups, key=lambda k: (k not in order, order.get(k, 0), k))
    return [(contentions.get(k) or k or OTHER_BLOCK, groups[k]) for k in keys]


PLAIN, UNDERLINE, HIGHLIGHT = 0, 1, 2
"""A run's layer: not read, underlined (the warrant), highlighted (read aloud; always underlined too)."""
CITE_STYLE, UNDERLINE_STYLE = "Style 13 pt Bold", "Style Underline"
"""Verbatim 6's character styles for the cite's name and year and for underlined card text."""
VERBATIM_ALIASES = {CITE_STYLE: "Cite", UNDERLINE_STYLE: "Underline"}
SHRUNK_PT = 8


def segments(card: Card) -> list[tuple[str, int]]:
    """Split a card's evidence into (text, layer) runs: PLAIN, UNDERLINE or HIGHLIGHT, by the layers' offsets.

    A card without an underline of its own (saved before the layer existed) has its highlight underlined too.
    """
    n = card.end - card.start
    layer = [PLAIN] * n
    for spans, value in ((card.underline_layer, UNDERLINE), (card.highlight, HIGHLIGHT)):
        for span in spans:
            for i in range(max(span.start, card.start) - card.start, min(span.end, card.end) - card.start):
                layer[i] = value
    out: list[tuple[str, int]] = []
    at = 0
    for i in range(1, n + 1):
        if i == n or layer[i] != layer[at]:
            out.append((card.evidence[at:i], layer[at]))
            at = i
    return out


def cite_parts(card: Card) -> tuple[str, str]:
    """Return the cite line in two parts: the bold "Lastname YY" and the rest.

    The rest is the common debate form: author and qualifications, full date, title, publisher, URL and the date
    accessed (when the source was ingested).
    """
    cite = card.cite
    author = cite.author or cite.publisher or "Unknown author"
    who = f"{author} ({cite.credentials})" if cite.credentials else author
    rest = [who, cite.date or "n.d.", f'"{cite.title}"' if cite.title else ""]
    rest += [cite.publisher if cite.publisher and cite.publisher != author else "", cite.url]
    rest += [f"accessed {cite.accessed}" if cite.accessed else ""]
    line = ", ".join(p for p in rest if p)
    if cite.digest:  # never the author's name and year over words that are not theirs
        return f"Digest of: {cite.short}", f"{line} [{DIGEST_LABEL}]"
    return cite.short, line


def _docx_path(path: str | Path) -> Path:
    target = Path(path)
    if target.suffix.lower() != ".docx":
        raise InputError(f"{target} does not end in .docx.", "Name the file something.docx.")
    if not target.parent.is_dir():
        raise InputError(f"The folder {target.parent} does not exist.", "Create it first or pick another path.")
    return target


def _verbatim_styles(doc: Any) -> None:
    """Add Verbatim's Cite and Underline character styles (same names, aliases and formatting as Verbatim 6)."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    for name, size, bold, underline in ((CITE_STYLE, 13, True, False), (UNDERLINE_STYLE, 11, False, True)):
        style = doc.styles.add_style(name, WD_STYLE_TYPE.CHARACTER)
        style.font.size, style.font.bold, style.font.underline = Pt(size), bold, underline
        aliases = OxmlElement("w:aliases")
        aliases.set(qn("w:val"), VERBATIM_ALIASES[name])
        style.element.find(qn("w:name")).addnext(aliases)


def _write_docx(title: str, intro: str, hats: list[Hat], path: str | Path, *, shrink: bool = False) -> Path:
    from docx import Document
    from docx.enum.text import WD_COLOR_INDEX
    from docx.shared import Pt

    target = _docx_path(path)
    doc = Document()
    _verbatim_styles(doc)
    doc.add_heading(title, level=1)
    if intro:
        doc.add_paragraph(intro)
    for hat, blocks in hats:
        doc.add_heading(hat, level=2)
        for block, cards in blocks:
            doc.add_heading(block, level=3)
            for card in cards:
                doc.add_heading(card.tag, level=4)
                if card.side_unsure:
                    doc.add_paragraph(f"[{card.side_label}]")
                bold, rest = cite_parts(card)
                cite = doc.add_paragraph()
                cite.add_run(bold, style=CITE_STYLE).bold = True
                cite.add_run(f", {rest}" if rest else "")
                body = doc.add_paragraph()
                for text, layer in segments(card):
                    if layer == PLAIN:
                        run = body.add_run(text)
                        if shrink:
                            run.font.size = Pt(SHRUNK_PT)
                        continue
                    run = body.add_run(text, style=UNDERLINE_STYLE)
                    if layer == HIGHLIGHT:
                        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    try:
        doc.save(str(target))
    except OSError as exc:
        raise InputError(f"Cannot write {target}: {exc}.", "Pick a folder you can write to.") from exc
    return target


def _md_escape(text: str) -> str:
    return "".join(f"\\{ch}" if ch in "\\`*_[]<>#|" else ch for ch in text)


def _md_run(text: str, layer: int, shrink: bool) -> str:
    """Return one run as Markdown: read aloud in bold and underlined, the underline as <u>, the rest plain."""
    if not text.strip():
        return _md_escape(text)
    lead, core, trail = text[: len(text) - len(text.lstrip())], text.strip(), text[len(text.rstrip()) :]
    if layer == HIGHLIGHT:
        return f"{lead}**<u>{_md_escape(core)}</u>**{trail}"
    if layer == UNDERLINE:
        return f"{lead}<u>{_md_escape(core)}</u>{trail}"
    return f"{lead}<small>{_md_escape(core)}</small>{trail}" if shrink else _md_escape(text)


def _markdown(title: str, intro: str, hats: list[Hat], *, shrink: bool = False) -> str:
    lines = [f"# {_md_escape(title)}", ""]
    if intro:
        lines += [_md_escape(intro), ""]
    for hat, blocks in hats:
        lines += [f"## {_md_escape(hat)}", ""]
        for block, cards in blocks:
            lines += [f"### {_md_escape(block)}", ""]
            for card in cards:
                bold, rest = cite_parts(card)
                body = "".join(_md_run(t, layer, shrink) for t, layer in segments(card))
                lines += [
                    f"#### {_md_escape(card.tag)}",
                    "",
                    *([f"*[{_md_escape(card.side_label)}]*", ""] if card.side_unsure else []),
                    f"**{_md_escape(bold)}**" + (f", {_md_escape(rest)}" if rest else ""),
                    "",
                    body,
                    "",
                ]
    return "\n".join(lines).rstrip() + "\n"


def _brief_intro(brief: Brief) -> str:
    cov = brief.coverage
    parts = [
        f"Tags are the {BOT_WORDS_LABEL}; evidence is verbatim: the warrant underlined, the part read aloud "
        "highlighted inside it."
    ]
    if cov:
        parts.append(
            f"Pro: {len(brief.pro)} cards from {len(cov.get('pro', {}).get('sources', []))} sources; "
            f"con: {len(brief.con)} cards from {len(cov.get('con', {}).get('sources', []))} sources."
        )
    parts += [f"No card for {n.contention} ({n.claim}): {n.message}" for n in brief.no_cards]
    return " ".join(parts)


def brief_to_docx(brief: Brief, path: str | Path, *, shrink: bool = False) -> Path:
    """Write a brief as a Verbatim-style .docx and return its path (``shrink``: text not underlined at 8 pt)."""
    return _write_docx(brief.motion, _brief_intro(brief), brief_sections(brief), path, shrink=shrink)


def brief_to_markdown(brief: Brief, *, shrink: bool = False) -> str:
    """Return a brief as Markdown (same outline as the .docx; underline as <u>, read aloud in bold too)."""
    return _markdown(brief.motion, _brief_intro(brief), brief_sections(brief), shrink=shrink)


def cards_to_docx(cards: Sequence[Card], path: str | Path, title: str = "Evidence", *, shrink: bool = False) -> Path:
    """Write loose cards (a debater's evidence file) as a Verbatim-style .docx and return its path."""
    return _write_docx(title, "", card_sections(cards), path, shrink=shrink)


def cards_to_markdown(cards: Sequence[Card], title: str = "Evidence", *, shrink: bool = False) -> str:
    """Return loose cards as Markdown, grouped by stance and contention."""
    return _markdown(title, "", card_sections(cards), shrink=shrink)
