"""The Gradio app: one small builder per tab, wired to ``bot.ui_handlers.Handlers`` (thin calls into the tasks).

``build_app`` makes the app once (no model is loaded until the first request); ``launch`` serves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from bot.debate.motions import default_motion
from bot.errors import BotError
from bot.render import CSS
from bot.settings import Settings, get_settings
from bot.ui_handlers import Handlers
from bot.warmup import note_served, start_warm_up, warm_debate

SCROLL_TO_CITED = "() => { const m = document.getElementById('cited'); if (m) m.scrollIntoView({block: 'center'}); }"
EXAMPLES = ["How many inmates can CECOT hold?", "How many people have died in custody?", "How are homicides counted?"]
SOURCE_COLUMNS = ["id", "title", "publisher", "date", "leaning", "passages", "encoding", "from"]


# ---- the tabs: each builds its components and wires what stays inside it -------------------------


@dataclass
class Picks:
    """A tab's card picker: the dropdown, its "show in source" and "save to my file" buttons, and the message."""

    pick: Any
    show: Any
    save: Any
    saved: Any


def _pick_row(label: str) -> Picks:
    with gr.Row():
        pick = gr.Dropdown(label=label, choices=[], scale=4)
        show = gr.Button("Show in source", scale=1)
        save = gr.Button("Save to my file", scale=1)
    return Picks(pick, show, save, gr.Markdown())


def _chat_tab(h: Handlers) -> Picks:
    pick = gr.Dropdown(label="Quote from the last answer", choices=[], render=False)
    gr.ChatInterface(
        h.respond,
        chatbot=gr.Chatbot(height=480, sanitize_html=True, label="Answers cite their sources"),
        textbox=gr.Textbox(placeholder="Ask about the sources, e.g. How many inmates can CECOT hold?"),
        examples=EXAMPLES,
        api_name="chat",
        concurrency_limit=8,
        additional_outputs=[pick],
    )
    with gr.Row():
        pick.render()
        show = gr.Button("Show in source", scale=0)
        save = gr.Button("Save to my file", scale=0)
    return Picks(pick, show, save, gr.Markdown())


def _brief_tab(h: Handlers, motion_text: str) -> Picks:
    with gr.Row():
        motion = gr.Textbox(value=motion_text, label="Motion", scale=4)
        per_side = gr.Slider(1, 12, value=5, step=1, label="Cards per side", scale=1)
    with gr.Accordion("Contentions (one a line; blank = from the motions file, or discovered)", open=False):
        with gr.Row():
            pro_claims = gr.Textbox(lines=4, label="Pro contentions")
            con_claims = gr.Textbox(lines=4, label="Con contentions")
        claims_note = gr.Markdown()
    verbatim = gr.Checkbox(
        label="Verbatim sources only (no digests: cards you can read in a round as the author's words)"
    )
    cut = gr.Button("Cut cards", variant="primary")
    with gr.Row():
        with gr.Column():
            gr.Markdown("### Pro")
            pro_html = gr.HTML()
        with gr.Column():
            gr.Markdown("### Con")
            con_html = gr.HTML()
    coverage = gr.Markdown()
    with gr.Row():
        docx_file = gr.File(label="Download .docx (Verbatim)")
        md_file = gr.File(label="Download .md")
    picks = _pick_row("Card")
    cut.click(
        h.run_brief,
        [motion, per_side, pro_claims, con_claims, verbatim],
        [pro_html, con_html, coverage, docx_file, md_file, picks.pick, pro_claims, con_claims, claims_note],
        api_visibility="private",
    )
    motion.change(lambda _m: ("", "", ""), [motion], [pro_claims, con_claims, claims_note], api_visibility="private")
    return picks


def _rebut_tab(h: Handlers) -> Picks:
    argument = gr.Textbox(lines=3, label="Opponent's argument (a sentence or a pasted card)")
    n_blocks = gr.Slider(1, 6, value=3, step=1, label="Cards")
    find = gr.Button("Find answers", variant="primary")
    out = gr.HTML()
    picks = _pick_row("Card")
    find.click(h.run_rebut, [argument, n_blocks], [out, picks.pick], api_visibility="private")
    return picks


def _file_tab(h: Handlers) -> tuple[Any, Any]:
    """Build the evidence-file tab; return its HTML and its saved-card picker (saving elsewhere updates them)."""
    file_html = gr.HTML()
    with gr.Row():
        file_pick = gr.Dropdown(label="Saved card", choices=[], scale=4)
        up = gr.Button("Move up")
        down = gr.Button("Move down")
        rm = gr.Button("Remove", variant="stop")
    with gr.Row():
        export = gr.Button("Export .docx")
        export_file = gr.File(label="My evidence (.docx)")
    for button, handler in ((up, h.move_up), (down, h.move_down), (rm, h.remove_saved)):
        button.click(handler, [file_pick], [file_html, file_pick], api_visibility="private")
    export.click(h.my_file_export, None, [export_file], api_visibility="private")
    return file_html, file_pick


def _sources_tab(h: Handlers, settings_md: Any) -> tuple[Any, Any]:
    """Build the sources tab (the settings tab's summary is refreshed with it); return its table and picker."""
    table = gr.Dataframe(headers=SOURCE_COLUMNS, interactive=False, wrap=True)
    uploads = gr.File(
        label="Add sources (.md .txt .pdf .html .docx)",
        file_count="multiple",
        file_types=[".md", ".txt", ".pdf", ".html", ".htm", ".docx"],
        type="filepath",
    )
    message = gr.Markdown()
    with gr.Row():
        pick = gr.Dropdown(label="Source", choices=[], scale=4)
        remove = gr.Button("Remove source", variant="stop", scale=1)
    uploads.upload(h.upload, [uploads], [message, table, pick, settings_md], api_visibility="private")
    remove.click(h.remove, [pick], [message, table, pick, settings_md], api_visibility="private")
    return table, pick


def _api(h: Handlers) -> None:
    gr.api(h.api_ask, api_name="ask", concurrency_limit=8)
    gr.api(h.api_search, api_name="search", concurrency_limit=8)
    gr.api(h.api_brief, api_name="brief", concurrency_limit=2)
    gr.api(h.api_rebut, api_name="rebut", concurrency_limit=2)
    gr.api(h.api_save, api_name="save_card", concurrency_limit=4)
    gr.api(h.api_my_file, api_name="my_file", concurrency_limit=8)
    gr.api(h.api_source, api_name="source", concurrency_limit=8)


def build_app(settings: Settings | None = None) -> gr.Blocks:
    """Build the whole app (no model is loaded until the first request)."""
    h = Handlers(settings or get_settings())
    try:
        motion_text = default_motion(h.settings).text
    except BotError:
        motion_text = ""
    with gr.Blocks(title="CECOT debate bot") as demo:
        gr.Markdown("# Debate prep: El Salvador, CECOT and the state of exception")
        settings_md = gr.Markdown(render=False)
        with gr.Tabs() as tabs:
            with gr.Tab("Chat", id="chat"):
                picks = [_chat_tab(h)]
            with gr.Tab("Brief"):
                picks.append(_brief_tab(h, motion_text))
            with gr.Tab("Rebut"):
                picks.append(_rebut_tab(h))
            with gr.Tab("My file"):
                file_html, file_pick = _file_tab(h)
            with gr.Tab("Sources"):
                table, source_pick = _sources_tab(h, settings_md)
            with gr.Tab("Source", id="source"):
                source_out = gr.HTML("<p>Pick a quote or a card and press <i>Show in source</i>.</p>")
            with gr.Tab("Settings", id="settings"):
                settings_md.render()
        for p in picks:
            p.show.click(h.show_in_source, [p.pick], [source_out, tabs], api_visibility="private").then(
                None, None, None, js=SCROLL_TO_CITED
            )
            p.save.click(h.save_to_file, [p.pick], [p.saved, file_pick], api_visibility="private")
        demo.load(h.sources_table, None, [table, source_pick, settings_md], api_visibility="private")
        demo.load(h.my_file_view, None, [file_html, file_pick], api_visibility="private")
        demo.load(note_served, None, None, api_visibility="private")  # the page is up: debate warm-up may start
        _api(h)
    demo.queue(default_concurrency_limit=4)
    return demo


def _options(settings: Settings) -> dict[str, Any]:
    """Return the serving options ``launch`` and ``mount`` share."""
    return {
        "server_name": settings.host,
        "server_port": settings.port,
        "auth": settings.logins or None,
        "css": CSS,
        "footer_links": ["api"],
        "allowed_paths": [],
        "show_error": True,
    }


def launch(demo: gr.Blocks, settings: Settings | None = None, **kwargs: Any) -> Any:
    """Launch on BOT_HOST:BOT_PORT (127.0.0.1 by default), with BOT_AUTH login when set."""
    settings = settings or get_settings()
    start_warm_up(settings)
    warm_debate(settings)
    return demo.launch(**{**_options(settings), **kwargs})


def mount(demo: gr.Blocks, settings: Settings | None = None) -> Any:
    """Return the app as an ASGI (FastAPI) app for ``bot.front``, with the options ``launch`` uses."""
    from fastapi import FastAPI

    settings = settings or get_settings()
    start_warm_up(settings)
    warm_debate(settings)
    return gr.mount_gradio_app(FastAPI(), demo, path="/", ssr_mode=False, **_options(settings))
