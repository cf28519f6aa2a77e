"""HTML for the web app: each typed result rendered, all source text HTML-escaped (sources are data, never markup).

The tasks return typed results (``bot.types``); only this module makes HTML of them.
"""

from __future__ import annotations

import html
import json
import re

from bot.debate.export import HIGHLIGHT, UNDERLINE, cite_parts, segments
from bot.phrases import BOT_WORDS_LABEL, CLOSEST_LABEL, DIGEST_LABEL, REFUSAL
from bot.types import A2Block, Answer, Brief, Card, Rebuttal, SourceView, web_url

CSS = """
.cite { cursor: help; text-decoration: none; font-weight: 600; }
.refusal { border-left: 4px solid #b45309; padding-left: 8px; }
.card { border: 1px solid #d4d4d8; border-radius: 6px; padding: 8px; margin: 6px 0; }
.card mark { background: #fde047; text-decoration: underline; }
.card u { text-decoration: underline; }
.no-card { border-left: 4px solid #b45309; padding-left: 8px; }
.bot-words { font-size: 0.8em; color: #6b7280; }
.stance-pro { color: #15803d; } .stance-con { color: #b91c1c; } .stance-neutral { color: #6b7280; }
.unsupported { color: #9ca3af; text-decoration: line-through; } .why { font-size: 0.8em; color: #b45309; }
.llm-note { border-left: 4px solid #6b7280; padding-left: 8px; font-size: 0.9em; }
"""


def esc(text: object) -> str:
    """Escape anything shown in the page: sources are data and never markup."""
    return html.escape(str(text), quote=True)


def answer_html(answer: Answer) -> str:
    """Render an answer: inline [n] markers with the exact quote on hover, then the sources list."""
    if answer.refused:
        items = "".join(
            f"<li><b>{esc(p.title)}</b> ({esc(p.publisher)}, {esc(p.date)}): “{esc(p.text)}”</li>"
            for p in answer.closest
        )
        closest = f"<p><b>{esc(CLOSEST_LABEL)}:</b></p><ul>{items}</ul>" if items else ""
        return f'<div class="refusal"><p>⚠️ <b>{esc(REFUSAL)}</b></p>{closest}</div>'
    by_n = {c.n: c for c in answer.citations}

    def marker(match: re.Match[str]) -> str:
        out = []
        for raw in match.group(1).split(","):
            c = by_n.get(int(raw))
            if c is None:
                out.append(f"[{esc(raw.strip())}]")
                continue
            tip = esc(f"“{c.quote}” — {c.title}, {c.publisher}, {c.date}" + (f" ({DIGEST_LABEL})" if c.digest else ""))
            href = f' href="{esc(web_url(c.url))}" target="_blank"' if web_url(c.url) else ""
            out.append(f'<a class="cite"{href} title="{tip}">[{c.n}]</a>')
        return "".join(out)

    cites = r"\[(\d+(?:\s*,\s*\d+)*)\]"
    if any(not s.supported for s in answer.sentences):
        # The model's sentences that no cited passage supports are shown struck through, with the reason.
        body = " ".join(
            re.sub(cites, marker, esc(s.text + "".join(f" [{n}]" for n in s.citations)))
            if s.supported
            else f'<span class="unsupported" title="{esc(s.reason)}">{esc(s.text)}</span> '
            f'<span class="why">(not supported: {esc(s.reason)})</span>'
            for s in answer.sentences
        )
    else:
        body = re.sub(cites, marker, esc(answer.text))
    label = (
        "verbatim sentences from the sources"
        if answer.model == "extractive"
        else f"written by {esc(answer.model)} ({esc(BOT_WORDS_LABEL)}), every sentence checked against its source"
    )
    sources = "".join(
        f"<li>[{c.n}] {'<b>Digest of:</b> ' if c.digest else ''}{link(c.url, c.title)} — {esc(c.publisher)}, "
        f"{esc(c.date)}{f' <i class=digest>({esc(DIGEST_LABEL)})</i>' if c.digest else ''}"
        f"<br><small>“{esc(c.quote)}” ({esc(c.source_id)} [{c.start}:{c.end}])</small></li>"
        for c in answer.citations
    )
    flags = "".join(f"<li>⚠️ {esc(f)}</li>" for f in answer.flagged)
    note = f"<p class='llm-note'>ℹ️ {esc(answer.note)}</p>" if answer.note else ""
    return (
        f"{note}<p>{body}</p><p class='bot-words'>Answer: {label}.</p>"
        f"<details open><summary>Sources</summary><ol>{sources}</ol></details>" + (f"<ul>{flags}</ul>" if flags else "")
    )


def link(url: str, label: str) -> str:
    """Return a link for an http(s) URL; any other URL (javascript:, data:, file:) is shown as plain text."""
    safe = web_url(url)
    return f'<a href="{esc(safe)}" target="_blank" rel="noopener">{esc(label)}</a>' if safe else esc(label)


def card_html(card: Card) -> str:
    """Render a card: tag (bot's words), cite with author and year bold, evidence with its two layers: the
    underline (the warrant) as <u>, the highlight (read aloud) inside it as <mark>."""
    cite = card.cite
    bold, rest = cite_parts(card)
    cite_rest = esc(rest).replace(esc(cite.url), link(cite.url, cite.url)) if cite.url else esc(rest)
    tags = {HIGHLIGHT: ("<mark>", "</mark>"), UNDERLINE: ("<u>", "</u>")}
    pieces = [
        f"{tags[layer][0]}{esc(text)}{tags[layer][1]}" if layer in tags else esc(text) for text, layer in segments(card)
    ]
    return (
        f'<div class="card"><p><b>{esc(card.tag)}</b> <span class="bot-words">({esc(card.tag_origin)})</span> '
        f'<span class="stance-{esc(card.stance)}">[{esc(card.side_label)}]</span></p>'
        + (f'<p class="digest"><b>{esc(DIGEST_LABEL)}</b></p>' if cite.digest else "")
        + f"<p><b>{esc(bold)}</b>, {cite_rest}</p>"
        f"<p>{''.join(pieces)}</p><p class='bot-words'>id: {esc(card.id)} · {esc(card.source_id)} "
        f"[{card.start}:{card.end}]</p></div>"
    )


def brief_html(brief: Brief) -> tuple[str, str, str]:
    """Render the pro cards, the con cards and the coverage report."""
    missing = {
        side: "".join(
            f'<p class="no-card"><b>No card</b> for {esc(n.contention)} ({esc(n.claim)}): {esc(n.message)}</p>'
            for n in brief.no_cards
            if n.side == side
        )
        for side in ("pro", "con")
    }
    pro = ("".join(card_html(c) for c in brief.pro) or "<p>No pro evidence found.</p>") + missing["pro"]
    con = ("".join(card_html(c) for c in brief.con) or "<p>No con evidence found.</p>") + missing["con"]
    cov = brief.coverage
    lines = [f"- **{k}**: {esc(json.dumps(v, ensure_ascii=False))}" for k, v in cov.items()]
    if brief.methods:
        lines.append(f"- **made by**: {esc(methods_text(brief.methods))}")
    return pro, con, "\n".join(lines)


def rebuttal_html(rebuttal: Rebuttal) -> str:
    """Render A2 blocks."""
    if rebuttal.unsure:
        parts = [
            f"<p>Side unsure ({rebuttal.side_confidence:.2f}): answering both readings, as a pro argument and as a "
            "con argument.</p>"
        ]
    else:
        parts = [
            f"<p>Argument read as <b>likely {esc(rebuttal.argument_stance)}</b> ({rebuttal.side_confidence:.2f}).</p>"
        ]
    if rebuttal.methods:
        parts.append(f"<p class='bot-words'>Made by: {esc(methods_text(rebuttal.methods))}</p>")
    for block in rebuttal.blocks:
        parts.append(_block_html(block, rebuttal.unsure))
    if not rebuttal.blocks:
        parts.append("<p>No answering evidence found in the sources.</p>")
    return "".join(parts)


def _block_html(block: A2Block, both: bool = False) -> str:
    analysis = (
        f"<p><i>{esc(block.analysis)}</i> <span class='bot-words'>({esc(block.analysis_origin)})</span></p>"
        if block.analysis
        else f"<p class='bot-words'>No analysis line: {esc(block.analysis_method)}</p>"
        if block.analysis_method
        else ""
    )
    reading = f" (read as {esc(block.reading)})" if both else ""
    return f"<h4>A2{reading}: {esc(block.answers)}</h4>{analysis}" + "".join(card_html(c) for c in block.cards)


def methods_text(methods: dict[str, int]) -> str:
    """Return how many items each method made, e.g. "tag: llm: openai:x ×3; tag: extractive: ... ×1"."""
    return "; ".join(f"{key} ×{n}" for key, n in sorted(methods.items()))


def source_html(view: SourceView) -> str:
    """Render a stored source with the cited span highlighted (``<mark id="cited">``, scrolled into view)."""
    head = (
        f"<h3>{esc(view.title)}</h3><p>{esc(view.publisher)} · {link(view.url, view.url or view.source_id)} · "
        f"<code>{esc(view.source_id)} [{view.start}:{view.end}]</code></p>"
    )
    if view.digest:
        head += f'<p class="digest"><b>{esc(DIGEST_LABEL)}</b></p>'
    body = esc(view.text[: view.start]) + f'<mark id="cited">{esc(view.quote)}</mark>' + esc(view.text[view.end :])
    style = "white-space: pre-wrap; max-height: 600px; overflow-y: auto"
    return f'{head}<div class="source-text" style="{style}">{body}</div>'
