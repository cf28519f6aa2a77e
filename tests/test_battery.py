"""Bad-input battery: every bad input through the Python API, the CLI and the web endpoints gets a clear error
(or a safe answer), nothing crashes, and the index is unchanged afterwards. Rerun it with
``pytest tests/test_battery.py``; the summary line says how many inputs were tried and how many crashed."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client

from bot.__main__ import main
from bot.answer import ask
from bot.debate.brief import brief
from bot.debate.rebuttal import rebut
from bot.errors import BotError
from bot.ingest import ingest, remove_source
from bot.manifest import source_text
from bot.retrieval import retrieve
from bot.settings import Settings
from bot.store import get_collection
from bot.types import Answer
from bot.uploads import add_upload
from tests.test_hostile import big_pdf, zip_bomb

from .conftest import make_settings, running_app

RESULTS: dict[str, str] = {}
"""Case id -> 'error' (a clear BotError), 'safe' (a safe answer) or 'CRASH: ...'; read by conftest's summary."""

MOTION = "El Salvador's mass-incarceration policy, symbolised by CECOT, is justified"
MEGA = "x" * 1_000_000
ODD = "\u202e\u200b¿Cuántos presos? ﷽ \U0001f9d1\u200d\u2696\ufe0f CECOT \x7f capacity"


def snapshot(s: Settings) -> tuple[str, int]:
    manifest = s.data_dir / "manifest.json"
    digest = hashlib.sha256(manifest.read_bytes() if manifest.exists() else b"").hexdigest()
    return digest, get_collection(s).count()


def run_case(case_id: str, s: Settings, call: Callable[[], Any], safe: Callable[[Any], bool] | None = None) -> None:
    before = snapshot(s)
    try:
        result = call()
    except BotError as exc:
        assert str(exc).strip(), "an error says what was wrong"
        RESULTS[case_id] = "error"
    except Exception as exc:  # anything else is a crash
        RESULTS[case_id] = f"CRASH: {type(exc).__name__}: {exc}"
        raise
    else:
        if safe is None or not safe(result):
            RESULTS[case_id] = f"CRASH: accepted bad input, returned {str(result)[:100]!r}"
            pytest.fail(RESULTS[case_id])
        RESULTS[case_id] = "safe"
    assert snapshot(s) == before, "a rejected input must leave the index unchanged"


def is_answer(result: Any) -> bool:
    return isinstance(result, Answer) and (result.refused or bool(result.citations))


API_CASES: list[tuple[str, Callable[[Settings], Any], Callable[[Any], bool] | None]] = [
    ("retrieve-empty", lambda s: retrieve("", settings=s), None),
    ("retrieve-whitespace", lambda s: retrieve(" \n\t ", settings=s), None),
    ("retrieve-1mb", lambda s: retrieve(MEGA, settings=s), None),
    ("retrieve-control-chars", lambda s: retrieve("\x00\x01\x02\x1b", settings=s), None),
    ("retrieve-emoji-only", lambda s: retrieve("🙂🙂🙂", settings=s), None),
    ("retrieve-none", lambda s: retrieve(None, settings=s), None),  # type: ignore[arg-type]
    ("retrieve-bytes", lambda s: retrieve(b"CECOT", settings=s), None),  # type: ignore[arg-type]
    ("retrieve-k-zero", lambda s: retrieve("CECOT", 0, settings=s), None),
    ("retrieve-k-negative", lambda s: retrieve("CECOT", -5, settings=s), None),
    ("retrieve-k-huge", lambda s: retrieve("CECOT", 10**9, settings=s), None),
    ("retrieve-k-string", lambda s: retrieve("CECOT", "5", settings=s), None),  # type: ignore[arg-type]
    ("retrieve-k-bool", lambda s: retrieve("CECOT", True, settings=s), None),
    ("retrieve-unknown-source", lambda s: retrieve("CECOT", sources=["no-such-source"], settings=s), None),
    ("retrieve-path-source", lambda s: retrieve("CECOT", sources=["../../etc/passwd"], settings=s), None),
    ("retrieve-empty-sources", lambda s: retrieve("CECOT", sources=[], settings=s), None),
    ("retrieve-min-score", lambda s: retrieve("CECOT", min_score=5.0, settings=s), None),
    ("ask-empty", lambda s: ask("", settings=s), None),
    ("ask-1mb", lambda s: ask(MEGA, settings=s), None),
    ("ask-odd-unicode", lambda s: ask(ODD, settings=s), is_answer),
    ("ask-k-zero", lambda s: ask("CECOT capacity", k=0, settings=s), None),
    ("ask-garbage-history", lambda s: ask("CECOT capacity", history=[None, 5, {"role": 1}], settings=s), is_answer),
    ("ask-html-question", lambda s: ask("<script>alert(1)</script> CECOT capacity?", settings=s), is_answer),
    ("brief-empty", lambda s: brief("", settings=s), None),
    ("brief-1mb", lambda s: brief(MEGA, settings=s), None),
    ("brief-per-side-zero", lambda s: brief(MOTION, per_side=0, settings=s), None),
    ("brief-per-side-huge", lambda s: brief(MOTION, per_side=10**6, settings=s), None),
    ("rebut-empty", lambda s: rebut("   ", settings=s), None),
    ("rebut-control", lambda s: rebut("\x00\x00", settings=s), None),
    ("rebut-n-zero", lambda s: rebut("Homicides fell", n=0, settings=s), None),
    ("source-text-unknown", lambda s: source_text("no-such-source", s), None),
    ("source-text-traversal", lambda s: source_text("../../etc/passwd", s), None),
    ("remove-unknown", lambda s: remove_source("no-such-source", settings=s), None),
    ("remove-traversal", lambda s: remove_source("../manifest", settings=s), None),
    ("ingest-no-paths", lambda s: ingest([], settings=s), None),
]


@pytest.mark.parametrize(("case_id", "call", "safe"), API_CASES, ids=[c[0] for c in API_CASES])
def test_python_api(corpus_index: Settings, case_id: str, call: Callable[[Settings], Any], safe: Any) -> None:
    run_case(f"api:{case_id}", corpus_index, lambda: call(corpus_index), safe)


# --- uploads -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def upload_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from .conftest import FIXTURE_CORPUS

    s = make_settings(tmp_path_factory.mktemp("battery-uploads"), FIXTURE_CORPUS)
    ingest(settings=s)
    good = tmp_path_factory.mktemp("first") / "notes.txt"
    good.write_text("A first uploaded note about prison capacity and hearings.")
    add_upload(good, settings=s)
    return s


def _encrypted_pdf(path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt("secret")
    with open(path, "wb") as handle:
        writer.write(handle)


def _docx_bytes() -> bytes:
    import docx

    buffer = io.BytesIO()
    d = docx.Document()
    d.add_paragraph("A word file pretending to be a PDF.")
    d.save(buffer)
    return buffer.getvalue()


UPLOAD_CASES: list[tuple[str, str, Callable[[Path], None], str | None]] = [
    ("zero-byte", "empty.txt", lambda p: p.write_bytes(b""), None),
    ("binary", "data.txt", lambda p: p.write_bytes(bytes(range(256)) * 40), None),
    ("corrupt-pdf", "broken.pdf", lambda p: p.write_bytes(b"%PDF-1.7\n1 0 obj <<>> garbage"), None),
    ("encrypted-pdf", "locked.pdf", _encrypted_pdf, None),
    ("docx-named-pdf", "wrong.pdf", lambda p: p.write_bytes(_docx_bytes()), None),
    ("unsupported-extension", "tool.exe", lambda p: p.write_bytes(b"MZ\x90\x00"), None),
    ("no-extension", "README", lambda p: p.write_text("text"), None),
    (
        "duplicate",
        "notes-again.txt",
        lambda p: p.write_text("A first uploaded note about prison capacity and hearings."),
        None,
    ),
    ("fifty-mb", "huge.txt", lambda p: p.write_bytes(b"a " * (25 * 1024 * 1024)), None),
    ("html-no-text", "empty.html", lambda p: p.write_text("<html><body><script>alert(1)</script></body></html>"), None),
    ("bad-front-matter", "meta.md", lambda p: p.write_text("---\ntitle: [unclosed\n---\nBody."), None),
    ("id-collision-with-corpus", "prison-capacity.md", lambda p: p.write_text("A different text about prisons."), None),
    ("docx-zip-bomb", "bomb.docx", lambda p: zip_bomb(p, 150), None),
    ("pdf-10000-pages", "pages.pdf", lambda p: big_pdf(p, 10_000), None),
    ("html-nested-5000", "nested.html", lambda p: p.write_text("<div>" * 5000 + "x" + "</div>" * 5000), None),
]


@pytest.mark.parametrize(("case_id", "name", "make", "_"), UPLOAD_CASES, ids=[c[0] for c in UPLOAD_CASES])
def test_rejected_uploads(upload_index: Settings, tmp_path: Path, case_id: str, name: str, make: Any, _: Any) -> None:
    path = tmp_path / name
    make(path)
    listing = sorted(p.name for p in upload_index.uploads_dir.iterdir())
    run_case(f"upload:{case_id}", upload_index, lambda: add_upload(path, settings=upload_index))
    assert sorted(p.name for p in upload_index.uploads_dir.iterdir()) == listing, "no file is left behind"


@pytest.mark.parametrize(
    ("case_id", "filename"),
    [
        ("dotdot-name", "../../outside.txt"),
        ("absolute-name", "/etc/cron.d/evil.txt"),
        ("backslash-name", "..\\..\\x.txt"),
    ],
)
def test_hostile_names_are_confined(upload_index: Settings, tmp_path: Path, case_id: str, filename: str) -> None:
    path = tmp_path / "payload.txt"
    path.write_text(f"A harmless note for the {case_id} case about prisons and courts.")

    def call() -> Any:
        report = add_upload(path, filename=filename, settings=upload_index)
        added = report.added[0]
        remove_source(added, settings=upload_index)  # leave the index as it was
        return report

    run_case(f"upload:{case_id}", upload_index, call, lambda r: bool(r.added))
    for file in upload_index.data_dir.rglob("*"):
        assert file.resolve().is_relative_to(upload_index.data_dir.resolve())
    assert not (upload_index.data_dir.parent / "outside.txt").exists()


def test_html_with_scripts_is_stored_as_text_only(upload_index: Settings, tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    body = "<p>" + "The review of the prison found overcrowded cells and long waits for hearings. " * 4 + "</p>"
    path.write_text(
        f"<html><head><title>Review</title><script>fetch('//evil')</script></head><body>{body}"
        "<script>alert('x')</script></body></html>"
    )

    def call() -> Any:
        report = add_upload(path, settings=upload_index)
        text = source_text(report.added[0], upload_index)
        remove_source(report.added[0], settings=upload_index)
        return text

    run_case("upload:html-with-scripts", upload_index, call, lambda text: "alert(" not in text and "fetch(" not in text)


def test_non_utf8_upload_is_decoded(upload_index: Settings, tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes(
        "El informe sobre la cárcel señala audiencias masivas y detenciones sin orden judicial.".encode("cp1252")
    )

    def call() -> Any:
        report = add_upload(path, settings=upload_index)
        text = source_text(report.added[0], upload_index)
        remove_source(report.added[0], settings=upload_index)
        return text

    run_case("upload:non-utf8", upload_index, call, lambda text: "cárcel" in text)


# --- the CLI ---------------------------------------------------------------------------------------

CLI_CASES = [
    ("search-empty", ["search", ""]),
    ("search-k-zero", ["search", "CECOT", "-k", "0"]),
    ("search-unknown-source", ["search", "CECOT", "--source", "nope"]),
    ("ask-whitespace", ["ask", "   "]),
    ("ask-1mb", ["ask", MEGA]),
    ("ask-control", ["ask", "\x01\x02"]),
    ("brief-empty", ["brief", ""]),
    ("rebut-empty", ["rebut", " "]),
    ("remove-unknown", ["remove", "no-such-source"]),
    ("show-traversal", ["show", "../../etc/passwd"]),
]


@pytest.mark.parametrize(("case_id", "argv"), CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli(
    corpus_index: Settings, use_env: Any, capsys: pytest.CaptureFixture[str], case_id: str, argv: list[str]
) -> None:
    use_env(corpus_index)

    def call() -> int:
        code = main(argv)
        captured = capsys.readouterr()
        if code != 2 or not captured.err.startswith("error: ") or captured.out:
            raise AssertionError(f"exit {code}, stderr {captured.err[:200]!r}")
        raise _CLIError(captured.err)

    run_case(f"cli:{case_id}", corpus_index, call)


class _CLIError(BotError):
    """Stands for a CLI run that exited 2 with an error message (what a user sees)."""


# --- the web endpoints -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def web(corpus_index: Settings) -> Iterator[Client]:
    with running_app(corpus_index) as url:
        yield Client(url, verbose=False)


def _safe_web_answer(result: Any) -> bool:
    return isinstance(result, dict) and (bool(result.get("refused")) or bool(result.get("citations")))


WEB_CASES: list[tuple[str, tuple[Any, ...], str, Callable[[Any], bool] | None]] = [
    ("ask-empty", ("",), "/ask", None),
    ("ask-1mb", (MEGA,), "/ask", None),
    ("ask-control-only", ("\x00\x01\x1b",), "/ask", None),
    ("ask-ansi-escape", ("\x00\x1b[31m",), "/ask", _safe_web_answer),
    ("ask-odd-unicode", (ODD,), "/ask", _safe_web_answer),
    ("search-k-zero", ("CECOT", 0), "/search", None),
    ("search-k-huge", ("CECOT", 100000), "/search", None),
    ("brief-empty", ("   ",), "/brief", None),
    ("brief-per-side-negative", (MOTION, -3), "/brief", None),
    ("rebut-empty", ("",), "/rebut", None),
]


@pytest.mark.parametrize(("case_id", "args", "endpoint", "safe"), WEB_CASES, ids=[c[0] for c in WEB_CASES])
def test_web(
    web: Client, corpus_index: Settings, case_id: str, args: tuple[Any, ...], endpoint: str, safe: Any
) -> None:
    def call() -> Any:
        try:
            return web.predict(*args, api_name=endpoint)
        except Exception as exc:  # gradio_client wraps the app's gr.Error
            message = str(exc)
            if "Traceback" in message or not message.strip():
                raise
            raise _CLIError(message) from exc

    run_case(f"web:{case_id}", corpus_index, call, safe)
