"""The Gradio app: thin handlers over the public functions; all source text is HTML-escaped before display."""

from __future__ import annotations

import functools
import html
import inspect
import json
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar, cast

import gradio as gr

from bot.errors import BotError
from bot.phrases import BOT_WORDS_LABEL, CLOSEST_LABEL, DIGEST_LABEL, REFUSAL
from bot.settings import Settings, get_settings
from bot.types import A2Block, Answer, Brief, Card, Passage, Rebuttal, SourceView, to_dict, web_url

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


# --- formatting (the tasks return typed results; only the UI makes HTML) ---------------------------


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
    from bot.debate.export import HIGHLIGHT, UNDERLINE, cite_parts, segments

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


class SessionCards:
    """The cards each browser session was last shown, so "save" finds them: bounded, never shared between sessions.

    At most ``MAX_SESSIONS`` sessions (least recently used dropped first), each with its last ``MAX_CARDS`` cards.
    """

    MAX_SESSIONS = 256
    MAX_CARDS = 200

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cards: OrderedDict[str, OrderedDict[str, Card]] = OrderedDict()

    def remember(self, session: str, cards: list[Card]) -> list[str]:
        """Record the cards a session was shown; return their ids."""
        with self._lock:
            mine = self._cards.setdefault(session, OrderedDict())
            self._cards.move_to_end(session)
            for card in cards:
                mine[card.id] = card
                mine.move_to_end(card.id)
            while len(mine) > self.MAX_CARDS:
                mine.popitem(last=False)
            while len(self._cards) > self.MAX_SESSIONS:
                self._cards.popitem(last=False)
        return [c.id for c in cards]

    def get(self, session: str, card_id: str) -> Card | None:
        """Return a card this session was shown, or None."""
        with self._lock:
            mine = self._cards.get(session)
            return mine.get(card_id) if mine is not None else None

    def __len__(self) -> int:
        return len(self._cards)


def _session(request: gr.Request | None) -> str:
    return str(getattr(request, "session_hash", None) or "local")


def _user(request: gr.Request | None) -> str | None:
    """Return the signed-in user (BOT_AUTH), whose evidence file is their own; None without sign-in."""
    name = getattr(request, "username", None)
    return str(name) if name else None


SCROLL_TO_CITED = "() => { const m = document.getElementById('cited'); if (m) m.scrollIntoView({block: 'center'}); }"


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


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def passages_json(passages: list[Passage]) -> list[dict[str, Any]]:
    """Passages as JSON-ready dicts."""
    return to_dict(passages)


# --- the app ---------------------------------------------------------------------------------------


F = TypeVar("F", bound=Callable[..., Any])


def shows_errors(fn: F) -> F:
    """Show a BotError from a handler as an error in the page (and to API clients), never as a result."""
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def stream(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from fn(*args, **kwargs)
            except BotError as exc:
                raise gr.Error(str(exc)) from exc

        return cast(F, stream)

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except BotError as exc:
            raise gr.Error(str(exc)) from exc

    return cast(F, call)


def _note_served() -> None:
    from bot.warmup import note_served

    note_served()


def build_app(settings: Settings | None = None) -> gr.Blocks:
    """Build the whole app (no model is loaded until the first request)."""
    settings = settings or get_settings()
    from bot.debate.motions import default_motion

    try:
        motion_text = default_motion(settings).text
    except BotError:
        motion_text = ""

    sessions = SessionCards()

    def remember(cards: list[Card], request: gr.Request | None) -> list[str]:
        return sessions.remember(_session(request), cards)

    # ---- handlers --------------------------------------------------------------------------------

    @shows_errors
    def respond(
        message: str, history: list[dict[str, Any]], request: gr.Request | None = None
    ) -> Iterator[tuple[str, Any]]:
        from bot.answer import Partial, ask_stream
        from bot.debate.evidence import card_from_citation

        earlier = [h for h in history if isinstance(h, dict)]
        for event in ask_stream(message, history=earlier, settings=settings):
            if isinstance(event, Partial):
                draft = "<p class='bot-words'>The model's draft, being checked against the sources…</p>"
                yield (draft if event.draft else "") + esc(event.text), gr.update()
                continue
            cards = [card_from_citation(c, message, settings) for c in event.citations]
            ids = remember(cards, request)
            choices = [(f"[{c.n}] {c.quote[:80]}", card_id) for c, card_id in zip(event.citations, ids, strict=True)]
            yield answer_html(event), gr.update(choices=choices, value=ids[0] if ids else None)

    @shows_errors
    def api_ask(question: str) -> dict[str, Any]:
        from bot.answer import ask
        from bot.warmup import note_served

        try:
            return to_dict(ask(question, settings=settings))
        finally:
            note_served()

    @shows_errors
    def api_search(query: str, k: int = 5) -> list[dict[str, Any]]:
        from bot.retrieval import retrieve

        return passages_json(retrieve(query, int(k), settings=settings))

    @shows_errors
    def api_brief(
        motion: str,
        per_side: int = 5,
        pro: str = "",
        con: str = "",
        verbatim_only: bool = False,
        request: gr.Request | None = None,
    ) -> dict[str, Any]:
        """Cut a brief; ``pro`` / ``con`` are contentions, one a line (blank: from the file, or discovered)."""
        from bot.debate.brief import brief

        given = {side: lines for side, text in (("pro", pro), ("con", con)) if (lines := _lines(text))}
        result = brief(
            motion,
            per_side=int(per_side),
            contentions=given or None,
            verbatim_only=bool(verbatim_only),
            settings=settings,
        )
        remember(result.pro + result.con, request)
        return to_dict(result)

    @shows_errors
    def api_save(card_id: str, request: gr.Request) -> list[dict[str, Any]]:
        """Save a card this session was shown to the signed-in user's evidence file; return the file."""
        from bot.debate.evidence import save_card

        card = sessions.get(_session(request), card_id)
        if card is None:
            raise gr.Error(f"No card {card_id!r} was shown in this session.")
        return to_dict(save_card(card, settings, user=_user(request)))

    @shows_errors
    def api_source(source_id: str, start: int, end: int) -> dict[str, Any]:
        """Return a source's stored text and the span ``[start:end]`` (as a citation or card gives them)."""
        from bot.manifest import source_view

        return to_dict(source_view(source_id, int(start), int(end), settings))

    @shows_errors
    def show_in_source(card_id: str | None, request: gr.Request) -> tuple[str, Any]:
        from bot.manifest import source_view

        card = sessions.get(_session(request), card_id or "")
        if card is None:
            raise gr.Error("Pick a quote or a card first.")
        view = source_view(card.source_id, card.start, card.end, settings)
        return source_html(view), gr.Tabs(selected="source")

    @shows_errors
    def api_my_file(request: gr.Request) -> list[dict[str, Any]]:
        """Return the signed-in user's evidence file."""
        from bot.debate.evidence import load_cards

        return to_dict(load_cards(settings, user=_user(request)))

    @shows_errors
    def api_rebut(argument: str, n: int = 3) -> dict[str, Any]:
        from bot.debate.rebuttal import rebut

        return to_dict(rebut(argument, n=int(n), settings=settings))

    @shows_errors
    def run_brief(
        motion: str,
        per_side: float,
        pro_claims: str = "",
        con_claims: str = "",
        verbatim_only: bool = False,
        request: gr.Request | None = None,
    ) -> tuple[str, str, str, str | None, str | None, Any, str, str, str]:
        from bot.debate.brief import brief
        from bot.debate.export import brief_to_docx, brief_to_markdown

        given = {side: lines for side, text in (("pro", pro_claims), ("con", con_claims)) if (lines := _lines(text))}
        result = brief(
            motion, per_side=int(per_side), contentions=given or None, verbatim_only=verbatim_only, settings=settings
        )
        pro, con, cov = brief_html(result)
        folder = Path(tempfile.mkdtemp(prefix="brief-"))
        docx_path, md_path = folder / "brief.docx", folder / "brief.md"
        brief_to_docx(result, docx_path)
        md_path.write_text(brief_to_markdown(result), encoding="utf-8")
        ids = remember(result.pro + result.con, request)
        claims = {
            side: "\n".join(c for k, c in result.contentions.items() if k.startswith(side)) for side in ("pro", "con")
        }
        note = (
            f"{len(result.discovered)} contentions were discovered from the sources: each is a source sentence the bot "
            "chose as representative (the bot's choice, not a source's claim about the motion). Edit, add or drop "
            "lines and cut again."
            if result.discovered
            else "Contentions as given. Edit, add or drop lines and cut again; clear both boxes to discover them."
        )
        return (
            pro,
            con,
            cov,
            str(docx_path),
            str(md_path),
            gr.update(choices=ids, value=ids[0] if ids else None),
            claims["pro"],
            claims["con"],
            note,
        )

    @shows_errors
    def run_rebut(argument: str, n: float, request: gr.Request | None = None) -> tuple[str, Any]:
        from bot.debate.rebuttal import rebut

        result = rebut(argument, n=int(n), settings=settings)
        ids = remember([c for b in result.blocks for c in b.cards], request)
        return rebuttal_html(result), gr.update(choices=ids, value=ids[0] if ids else None)

    @shows_errors
    def save_to_file(card_id: str | None, request: gr.Request) -> tuple[str, Any]:
        from bot.debate.evidence import save_card

        card = sessions.get(_session(request), card_id or "")
        if card is None:
            raise gr.Error("Pick a card first (make a brief or a rebuttal).")
        cards = save_card(card, settings, user=_user(request))
        return f"Saved. Your file holds {len(cards)} card(s).", my_file_choices(cards)

    def my_file_choices(cards: list[Card]) -> Any:
        return gr.update(choices=[(f"{c.tag[:70]} — {c.cite.publisher}", c.id) for c in cards], value=None)

    @shows_errors
    def my_file_view(request: gr.Request) -> tuple[str, Any]:
        from bot.debate.evidence import load_cards

        cards = load_cards(settings, user=_user(request))
        body = "".join(card_html(c) for c in cards) or "<p>No saved cards yet.</p>"
        return body, my_file_choices(cards)

    @shows_errors
    def my_file_action(card_id: str | None, action: str, request: gr.Request) -> tuple[str, Any]:
        from bot.debate.evidence import move_card, remove_card

        if not card_id:
            raise gr.Error("Pick a saved card first.")
        if action == "remove":
            remove_card(card_id, settings, user=_user(request))
        else:
            move_card(card_id, -1 if action == "up" else 1, settings, user=_user(request))
        return my_file_view(request)

    def move_up(card_id: str | None, request: gr.Request) -> tuple[str, Any]:
        return my_file_action(card_id, "up", request)

    def move_down(card_id: str | None, request: gr.Request) -> tuple[str, Any]:
        return my_file_action(card_id, "down", request)

    def remove_saved(card_id: str | None, request: gr.Request) -> tuple[str, Any]:
        return my_file_action(card_id, "remove", request)

    @shows_errors
    def my_file_export(request: gr.Request) -> str:
        from bot.debate.evidence import load_cards
        from bot.debate.export import cards_to_docx

        cards = load_cards(settings, user=_user(request))
        if not cards:
            raise gr.Error("Your evidence file is empty.")
        path = Path(tempfile.mkdtemp(prefix="myfile-")) / "my-evidence.docx"
        cards_to_docx(cards, path, "My evidence")
        return str(path)

    def sources_table() -> tuple[list[list[Any]], Any, str]:
        from bot.manifest import list_sources

        rows = [
            [s.id, s.title, s.publisher, s.date, s.leaning, s.passages, s.encoding, s.origin]
            for s in list_sources(settings)
        ]
        return rows, gr.update(choices=[r[0] for r in rows], value=None), settings_markdown()

    def upload(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[str, Any, Any, str]:  # noqa: B008
        from bot.uploads import add_upload

        messages = []
        for path in files or []:
            name = Path(path).name
            progress(0, desc=f"ingesting {name}")
            try:
                report = add_upload(path, settings=settings, progress=lambda d, t, s: progress(d / max(t, 1)))
                messages.append(f"✅ {name}: added ({report.passages_embedded} passages).")
            except BotError as exc:
                messages.append(f"❌ {name}: {exc}")
        rows, choices, info = sources_table()
        return "\n\n".join(messages) or "No file chosen.", rows, choices, info

    @shows_errors
    def remove(source_id: str | None) -> tuple[str, Any, Any, str]:
        from bot.ingest import remove_source

        if not source_id:
            raise gr.Error("Pick a source to remove.")
        remove_source(source_id, settings=settings)
        rows, choices, info = sources_table()
        return f"Removed {source_id}.", rows, choices, info

    def settings_markdown() -> str:
        from bot.embeddings import resolve_model
        from bot.llm import model_name
        from bot.manifest import list_sources

        sources = list_sources(settings)
        try:
            llm_name = model_name(settings)
        except BotError as exc:
            llm_name = f"misconfigured: {exc}"
        return (
            f"- **Answer model**: `{esc(llm_name)}`\n"
            f"- **Embedding model**: `{esc(settings.embedding_model)}` "
            f"({esc(resolve_model(settings.embedding_model))})\n"
            f"- **Index**: {len(sources)} sources, {sum(s.passages for s in sources)} passages\n"
            f"- **Chroma**: {settings.chroma_mode}"
            + (f" ({esc(settings.chroma_host)}:{settings.chroma_port})" if settings.chroma_host else "")
            + f"\n- **Data dir**: `{esc(settings.data_dir)}`"
        )

    # ---- layout ----------------------------------------------------------------------------------

    with gr.Blocks(title="CECOT debate bot") as demo:
        gr.Markdown("# Debate prep: El Salvador, CECOT and the state of exception")
        with gr.Tabs() as tabs:
            with gr.Tab("Chat", id="chat"):
                chat_pick = gr.Dropdown(label="Quote from the last answer", choices=[], render=False)
                gr.ChatInterface(
                    respond,
                    chatbot=gr.Chatbot(height=480, sanitize_html=True, label="Answers cite their sources"),
                    textbox=gr.Textbox(placeholder="Ask about the sources, e.g. How many inmates can CECOT hold?"),
                    examples=[
                        "How many inmates can CECOT hold?",
                        "How many people have died in custody?",
                        "How are homicides counted?",
                    ],
                    api_name="chat",
                    concurrency_limit=8,
                    additional_outputs=[chat_pick],
                )
                with gr.Row():
                    chat_pick.render()
                    chat_show = gr.Button("Show in source", scale=0)
                    chat_save = gr.Button("Save to my file", scale=0)
                chat_saved = gr.Markdown()
            with gr.Tab("Brief"):
                with gr.Row():
                    motion = gr.Textbox(value=motion_text, label="Motion", scale=4)
                    per_side = gr.Slider(1, 12, value=5, step=1, label="Cards per side", scale=1)
                with gr.Accordion("Contentions (one a line; blank = from the motions file, or discovered)", open=False):
                    with gr.Row():
                        pro_claims = gr.Textbox(lines=4, label="Pro contentions")
                        con_claims = gr.Textbox(lines=4, label="Con contentions")
                    claims_note = gr.Markdown()
                verbatim_box = gr.Checkbox(
                    label="Verbatim sources only (no digests: cards you can read in a round as the author's words)"
                )
                brief_btn = gr.Button("Cut cards", variant="primary")
                with gr.Row():
                    with gr.Column():
                        gr.Markdown("### Pro")
                        pro_html = gr.HTML()
                    with gr.Column():
                        gr.Markdown("### Con")
                        con_html = gr.HTML()
                coverage_md = gr.Markdown()
                with gr.Row():
                    docx_file = gr.File(label="Download .docx (Verbatim)")
                    md_file = gr.File(label="Download .md")
                with gr.Row():
                    brief_pick = gr.Dropdown(label="Card", choices=[], scale=4)
                    brief_show = gr.Button("Show in source", scale=1)
                    brief_save = gr.Button("Save to my file", scale=1)
                brief_saved = gr.Markdown()
            with gr.Tab("Rebut"):
                argument = gr.Textbox(lines=3, label="Opponent's argument (a sentence or a pasted card)")
                n_blocks = gr.Slider(1, 6, value=3, step=1, label="Cards")
                rebut_btn = gr.Button("Find answers", variant="primary")
                rebut_out = gr.HTML()
                with gr.Row():
                    rebut_pick = gr.Dropdown(label="Card", choices=[], scale=4)
                    rebut_show = gr.Button("Show in source", scale=1)
                    rebut_save = gr.Button("Save to my file", scale=1)
                rebut_saved = gr.Markdown()
            with gr.Tab("My file"):
                file_html = gr.HTML()
                with gr.Row():
                    file_pick = gr.Dropdown(label="Saved card", choices=[], scale=4)
                    up_btn = gr.Button("Move up")
                    down_btn = gr.Button("Move down")
                    rm_btn = gr.Button("Remove", variant="stop")
                with gr.Row():
                    export_btn = gr.Button("Export .docx")
                    export_file = gr.File(label="My evidence (.docx)")
            with gr.Tab("Sources"):
                table = gr.Dataframe(
                    headers=["id", "title", "publisher", "date", "leaning", "passages", "encoding", "from"],
                    interactive=False,
                    wrap=True,
                )
                uploads = gr.File(
                    label="Add sources (.md .txt .pdf .html .docx)",
                    file_count="multiple",
                    file_types=[".md", ".txt", ".pdf", ".html", ".htm", ".docx"],
                    type="filepath",
                )
                upload_msg = gr.Markdown()
                with gr.Row():
                    remove_pick = gr.Dropdown(label="Source", choices=[], scale=4)
                    remove_btn = gr.Button("Remove source", variant="stop", scale=1)
            with gr.Tab("Source", id="source"):
                source_out = gr.HTML("<p>Pick a quote or a card and press <i>Show in source</i>.</p>")
            with gr.Tab("Settings", id="settings"):
                settings_md = gr.Markdown()

        for button, pick in ((chat_show, chat_pick), (brief_show, brief_pick), (rebut_show, rebut_pick)):
            button.click(show_in_source, [pick], [source_out, tabs], api_visibility="private").then(
                None, None, None, js=SCROLL_TO_CITED
            )

        brief_btn.click(
            run_brief,
            [motion, per_side, pro_claims, con_claims, verbatim_box],
            [pro_html, con_html, coverage_md, docx_file, md_file, brief_pick, pro_claims, con_claims, claims_note],
            api_visibility="private",
        )
        motion.change(
            lambda _m: ("", "", ""), [motion], [pro_claims, con_claims, claims_note], api_visibility="private"
        )
        chat_save.click(save_to_file, [chat_pick], [chat_saved, file_pick], api_visibility="private")
        brief_save.click(save_to_file, [brief_pick], [brief_saved, file_pick], api_visibility="private")
        rebut_btn.click(run_rebut, [argument, n_blocks], [rebut_out, rebut_pick], api_visibility="private")
        rebut_save.click(save_to_file, [rebut_pick], [rebut_saved, file_pick], api_visibility="private")
        up_btn.click(move_up, [file_pick], [file_html, file_pick], api_visibility="private")
        down_btn.click(move_down, [file_pick], [file_html, file_pick], api_visibility="private")
        rm_btn.click(remove_saved, [file_pick], [file_html, file_pick], api_visibility="private")
        export_btn.click(my_file_export, None, [export_file], api_visibility="private")
        uploads.upload(upload, [uploads], [upload_msg, table, remove_pick, settings_md], api_visibility="private")
        remove_btn.click(remove, [remove_pick], [upload_msg, table, remove_pick, settings_md], api_visibility="private")
        demo.load(sources_table, None, [table, remove_pick, settings_md], api_visibility="private")
        demo.load(my_file_view, None, [file_html, file_pick], api_visibility="private")
        demo.load(_note_served, None, None, api_visibility="private")  # the page is up: debate warm-up may start

        gr.api(api_ask, api_name="ask", concurrency_limit=8)
        gr.api(api_search, api_name="search", concurrency_limit=8)
        gr.api(api_brief, api_name="brief", concurrency_limit=2)
        gr.api(api_rebut, api_name="rebut", concurrency_limit=2)
        gr.api(api_save, api_name="save_card", concurrency_limit=4)
        gr.api(api_my_file, api_name="my_file", concurrency_limit=8)
        gr.api(api_source, api_name="source", concurrency_limit=8)
    demo.queue(default_concurrency_limit=4)
    return demo


def launch(demo: gr.Blocks, settings: Settings | None = None, **kwargs: Any) -> Any:
    """Launch on BOT_HOST:BOT_PORT (127.0.0.1 by default), with BOT_AUTH login when set."""
    settings = settings or get_settings()
    from bot.warmup import start_warm_up, warm_debate

    start_warm_up(settings)
    warm_debate(settings)
    auth = settings.logins or None
    options: dict[str, Any] = {
        "server_name": settings.host,
        "server_port": settings.port,
        "auth": auth,
        "css": CSS,
        "footer_links": ["api"],
        "allowed_paths": [],
        "show_error": True,
    }
    options.update(kwargs)
    return demo.launch(**options)
