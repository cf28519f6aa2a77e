"""Export cards as a Verbatim-style .docx (python-docx) or as Markdown.

Verbatim, the debate community's Word template, files evidence under four heading levels: Pocket (Heading 1,
here the motion or file title), Hat (Heading 2, the side), Block (Heading 3, the contention) and Tag (Heading 4,
the card's claim in the debater's words). Under each tag comes the cite line, with the author and year in bold,
then the evidence in normal text with the part read aloud underlined and highlighted.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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


def segments(card: Card) -> list[tuple[str, bool]]:
    """Split a card's evidence into (text, highlighted) runs by its highlight offsets."""
    marks = sorted((max(h.start, card.start), min(h.end, card.end)) for h in card.highlight)
    out: list[tuple[str, bool]] = []
    at = card.start
    for start, end in marks:
        start = max(start, at)
        if end <= start:
            continue
        if start > at:
            out.append((card.evidence[at - card.start : start - card.start], False))
        out.append((card.evidence[start - card.start : end - card.start], True))
        at = end
    if at < card.end:
        out.append((card.evidence[at - card.start :], False))
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


def _write_docx(title: str, intro: str, hats: list[Hat], path: str | Path) -> Path:
    from docx import Document
    from docx.enum.text import WD_COLOR_INDEX

    target = _docx_path(path)
    doc = Document()
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
                cite.add_run(bold).bold = True
                cite.add_run(f", {rest}" if rest else "")
                body = doc.add_paragraph()
                for text, marked in segments(card):
                    run = body.add_run(text)
                    if marked:
                        run.underline = True
                        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    try:
        doc.save(str(target))
    except OSError as exc:
        raise InputError(f"Cannot write {target}: {exc}.", "Pick a folder you can write to.") from exc
    return target


def _md_escape(text: str) -> str:
    return "".join(f"\\{ch}" if ch in "\\`*_[]<>#|" else ch for ch in text)


def _markdown(title: str, intro: str, hats: list[Hat]) -> str:
    lines = [f"# {_md_escape(title)}", ""]
    if intro:
        lines += [_md_escape(intro), ""]
    for hat, blocks in hats:
        lines += [f"## {_md_escape(hat)}", ""]
        for block, cards in blocks:
            lines += [f"### {_md_escape(block)}", ""]
            for card in cards:
                bold, rest = cite_parts(card)
                body = "".join(f"**{_md_escape(t)}**" if m and t.strip() else _md_escape(t) for t, m in segments(card))
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
    parts = [f"Tags are the {BOT_WORDS_LABEL}; evidence is verbatim, the read-aloud part highlighted."]
    if cov:
        parts.append(
            f"Pro: {len(brief.pro)} cards from {len(cov.get('pro', {}).get('sources', []))} sources; "
            f"con: {len(brief.con)} cards from {len(cov.get('con', {}).get('sources', []))} sources."
        )
        if cov.get("contentions_without_evidence"):
            parts.append("No evidence found for: " + ", ".join(cov["contentions_without_evidence"]) + ".")
    return " ".join(parts)


def brief_to_docx(brief: Brief, path: str | Path) -> Path:
    """Write a brief as a Verbatim-style .docx and return its path."""
    return _write_docx(brief.motion, _brief_intro(brief), brief_sections(brief), path)


def brief_to_markdown(brief: Brief) -> str:
    """Return a brief as Markdown (same outline as the .docx; highlights in bold)."""
    return _markdown(brief.motion, _brief_intro(brief), brief_sections(brief))


def cards_to_docx(cards: Sequence[Card], path: str | Path, title: str = "Evidence") -> Path:
    """Write loose cards (a debater's evidence file) as a Verbatim-style .docx and return its path."""
    return _write_docx(title, "", card_sections(cards), path)


def cards_to_markdown(cards: Sequence[Card], title: str = "Evidence") -> str:
    """Return loose cards as Markdown, grouped by stance and contention."""
    return _markdown(title, "", card_sections(cards))
