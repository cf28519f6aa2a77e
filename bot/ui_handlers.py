"""The web app's handlers: each a thin call into a task, with what each browser session was shown kept per session.

``bot.ui`` lays the app out and wires its events to a ``Handlers``; the tasks return typed results and
``bot.render`` makes HTML of them.
"""

from __future__ import annotations

import functools
import inspect
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar, cast

import gradio as gr

from bot.answer import Partial, ask, ask_stream
from bot.debate.brief import brief
from bot.debate.evidence import card_from_citation, load_cards, move_card, remove_card, save_card
from bot.debate.export import brief_to_docx, brief_to_markdown, cards_to_docx
from bot.debate.rebuttal import rebut
from bot.embeddings import resolve_model
from bot.errors import BotError
from bot.ingest import remove_source
from bot.llm import model_name
from bot.manifest import list_sources, source_view
from bot.render import answer_html, brief_html, card_html, esc, rebuttal_html, source_html
from bot.retrieval import retrieve
from bot.settings import Settings
from bot.types import Brief, Card, Passage, to_dict
from bot.uploads import add_upload
from bot.warmup import note_served


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


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _contentions(pro: str, con: str) -> dict[str, list[str]] | None:
    """Return the contentions typed in the two boxes, one a line (None when both are blank)."""
    return {side: lines for side, text in (("pro", pro), ("con", con)) if (lines := _lines(text))} or None


def passages_json(passages: list[Passage]) -> list[dict[str, Any]]:
    """Passages as JSON-ready dicts."""
    return to_dict(passages)


def _picked(ids: list[str]) -> Any:
    return gr.update(choices=ids, value=ids[0] if ids else None)


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


class Handlers:
    """What the app's events call: each a thin call into a task, with the session's cards remembered."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sessions = SessionCards()

    def remember(self, cards: list[Card], request: gr.Request | None) -> list[str]:
        """Record the cards this session was shown; return their ids."""
        return self.sessions.remember(_session(request), cards)

    def card(self, card_id: str | None, request: gr.Request | None, missing: str) -> Card:
        """Return a card this session was shown, or show ``missing`` as the page's error."""
        card = self.sessions.get(_session(request), card_id or "")
        if card is None:
            raise gr.Error(missing)
        return card

    # ---- the chat ----

    @shows_errors
    def respond(
        self, message: str, history: list[dict[str, Any]], request: gr.Request | None = None
    ) -> Iterator[tuple[str, Any]]:
        earlier = [h for h in history if isinstance(h, dict)]
        for event in ask_stream(message, history=earlier, settings=self.settings):
            if isinstance(event, Partial):
                draft = "<p class='bot-words'>The model's draft, being checked against the sources…</p>"
                yield (draft if event.draft else "") + esc(event.text), gr.update()
                continue
            cards = [card_from_citation(c, message, self.settings) for c in event.citations]
            ids = self.remember(cards, request)
            choices = [(f"[{c.n}] {c.quote[:80]}", card_id) for c, card_id in zip(event.citations, ids, strict=True)]
            yield answer_html(event), gr.update(choices=choices, value=ids[0] if ids else None)

    # ---- the API (gr.api endpoints) ----

    @shows_errors
    def api_ask(self, question: str) -> dict[str, Any]:
        try:
            return to_dict(ask(question, settings=self.settings))
        finally:
            note_served()

    @shows_errors
    def api_search(self, query: str, k: int = 5) -> list[dict[str, Any]]:
        return passages_json(retrieve(query, int(k), settings=self.settings))

    @shows_errors
    def api_brief(
        self,
        motion: str,
        per_side: int = 5,
        pro: str = "",
        con: str = "",
        verbatim_only: bool = False,
        request: gr.Request | None = None,
    ) -> dict[str, Any]:
        """Cut a brief; ``pro`` / ``con`` are contentions, one a line (blank: from the file, or discovered)."""
        result = self.brief(motion, per_side, pro, con, bool(verbatim_only))
        self.remember(result.pro + result.con, request)
        return to_dict(result)

    @shows_errors
    def api_save(self, card_id: str, request: gr.Request) -> list[dict[str, Any]]:
        """Save a card this session was shown to the signed-in user's evidence file; return the file."""
        card = self.card(card_id, request, f"No card {card_id!r} was shown in this session.")
        return to_dict(save_card(card, self.settings, user=_user(request)))

    @shows_errors
    def api_source(self, source_id: str, start: int, end: int) -> dict[str, Any]:
        """Return a source's stored text and the span ``[start:end]`` (as a citation or card gives them)."""
        return to_dict(source_view(source_id, int(start), int(end), self.settings))

    @shows_errors
    def api_my_file(self, request: gr.Request) -> list[dict[str, Any]]:
        """Return the signed-in user's evidence file."""
        return to_dict(load_cards(self.settings, user=_user(request)))

    @shows_errors
    def api_rebut(self, argument: str, n: int = 3) -> dict[str, Any]:
        return to_dict(rebut(argument, n=int(n), settings=self.settings))

    # ---- briefs and rebuttals ----

    def brief(self, motion: str, per_side: float, pro: str, con: str, verbatim_only: bool) -> Brief:
        """Cut a brief with the contentions typed in the two boxes (none: from the motions file, or discovered)."""
        return brief(
            motion,
            per_side=int(per_side),
            contentions=_contentions(pro, con),
            verbatim_only=verbatim_only,
            settings=self.settings,
        )

    @shows_errors
    def run_brief(
        self,
        motion: str,
        per_side: float,
        pro_claims: str = "",
        con_claims: str = "",
        verbatim_only: bool = False,
        request: gr.Request | None = None,
    ) -> tuple[str, str, str, str | None, str | None, Any, str, str, str]:
        result = self.brief(motion, per_side, pro_claims, con_claims, verbatim_only)
        pro, con, cov = brief_html(result)
        docx_path, md_path = _brief_files(result)
        ids = self.remember(result.pro + result.con, request)
        claims = {
            side: "\n".join(c for k, c in result.contentions.items() if k.startswith(side)) for side in ("pro", "con")
        }
        return pro, con, cov, docx_path, md_path, _picked(ids), claims["pro"], claims["con"], _claims_note(result)

    @shows_errors
    def run_rebut(self, argument: str, n: float, request: gr.Request | None = None) -> tuple[str, Any]:
        result = rebut(argument, n=int(n), settings=self.settings)
        ids = self.remember([c for b in result.blocks for c in b.cards], request)
        return rebuttal_html(result), _picked(ids)

    @shows_errors
    def show_in_source(self, card_id: str | None, request: gr.Request) -> tuple[str, Any]:
        card = self.card(card_id, request, "Pick a quote or a card first.")
        view = source_view(card.source_id, card.start, card.end, self.settings)
        return source_html(view), gr.Tabs(selected="source")

    # ---- the evidence file ----

    @shows_errors
    def save_to_file(self, card_id: str | None, request: gr.Request) -> tuple[str, Any]:
        card = self.card(card_id, request, "Pick a card first (make a brief or a rebuttal).")
        cards = save_card(card, self.settings, user=_user(request))
        return f"Saved. Your file holds {len(cards)} card(s).", _file_choices(cards)

    @shows_errors
    def my_file_view(self, request: gr.Request) -> tuple[str, Any]:
        cards = load_cards(self.settings, user=_user(request))
        body = "".join(card_html(c) for c in cards) or "<p>No saved cards yet.</p>"
        return body, _file_choices(cards)

    @shows_errors
    def my_file_action(self, card_id: str | None, action: str, request: gr.Request) -> tuple[str, Any]:
        if not card_id:
            raise gr.Error("Pick a saved card first.")
        if action == "remove":
            remove_card(card_id, self.settings, user=_user(request))
        else:
            move_card(card_id, -1 if action == "up" else 1, self.settings, user=_user(request))
        return self.my_file_view(request)

    def move_up(self, card_id: str | None, request: gr.Request) -> tuple[str, Any]:
        return self.my_file_action(card_id, "up", request)

    def move_down(self, card_id: str | None, request: gr.Request) -> tuple[str, Any]:
        return self.my_file_action(card_id, "down", request)

    def remove_saved(self, card_id: str | None, request: gr.Request) -> tuple[str, Any]:
        return self.my_file_action(card_id, "remove", request)

    @shows_errors
    def my_file_export(self, request: gr.Request) -> str:
        cards = load_cards(self.settings, user=_user(request))
        if not cards:
            raise gr.Error("Your evidence file is empty.")
        path = Path(tempfile.mkdtemp(prefix="myfile-")) / "my-evidence.docx"
        cards_to_docx(cards, path, "My evidence")
        return str(path)

    # ---- sources ----

    def sources_table(self) -> tuple[list[list[Any]], Any, str]:
        rows = [
            [s.id, s.title, s.publisher, s.date, s.leaning, s.passages, s.encoding, s.origin]
            for s in list_sources(self.settings)
        ]
        return rows, gr.update(choices=[r[0] for r in rows], value=None), self.settings_markdown()

    def upload(self, files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[str, Any, Any, str]:  # noqa: B008
        messages = []
        for path in files or []:
            name = Path(path).name
            progress(0, desc=f"ingesting {name}")
            try:
                report = add_upload(path, settings=self.settings, progress=lambda d, t, s: progress(d / max(t, 1)))
                messages.append(f"✅ {name}: added ({report.passages_embedded} passages).")
            except BotError as exc:
                messages.append(f"❌ {name}: {exc}")
        rows, choices, info = self.sources_table()
        return "\n\n".join(messages) or "No file chosen.", rows, choices, info

    @shows_errors
    def remove(self, source_id: str | None) -> tuple[str, Any, Any, str]:
        if not source_id:
            raise gr.Error("Pick a source to remove.")
        remove_source(source_id, settings=self.settings)
        rows, choices, info = self.sources_table()
        return f"Removed {source_id}.", rows, choices, info

    def settings_markdown(self) -> str:
        settings = self.settings
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


def _brief_files(result: Brief) -> tuple[str, str]:
    """Write the brief as .docx (Verbatim) and .md into a fresh temp folder; return both paths."""
    folder = Path(tempfile.mkdtemp(prefix="brief-"))
    docx_path, md_path = folder / "brief.docx", folder / "brief.md"
    brief_to_docx(result, docx_path)
    md_path.write_text(brief_to_markdown(result), encoding="utf-8")
    return str(docx_path), str(md_path)


def _claims_note(result: Brief) -> str:
    if result.discovered:
        return (
            f"{len(result.discovered)} contentions were discovered from the sources: each is a source sentence the bot "
            "chose as representative (the bot's choice, not a source's claim about the motion). Edit, add or drop "
            "lines and cut again."
        )
    return "Contentions as given. Edit, add or drop lines and cut again; clear both boxes to discover them."


def _file_choices(cards: list[Card]) -> Any:
    return gr.update(choices=[(f"{c.tag[:70]} — {c.cite.publisher}", c.id) for c in cards], value=None)
