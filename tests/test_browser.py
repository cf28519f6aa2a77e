"""A real browser (Debian's chromium, headless) asks a question and sees the answer and a citation render."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from bot.settings import Settings

from .conftest import ARTIFACTS, running_app

pytestmark = pytest.mark.browser

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def find_or_install_chromium() -> str:
    """Return Debian's chromium, installing it with apt when missing and possible; else skip with the reason."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if not shutil.which("apt-get"):
        pytest.skip("chromium is not installed and apt-get is not available to install it")
    if os.geteuid() != 0:
        pytest.skip("chromium is not installed and installing it needs root (apt-get install chromium)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True, timeout=600)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env, capture_output=True, timeout=900
        )
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"chromium could not be installed with apt-get: {exc}")
    found = shutil.which("chromium")
    if not found:
        pytest.skip("apt-get ran but no chromium binary appeared")
    return found


@pytest.fixture(scope="module")
def page_url(corpus_index: Settings) -> Iterator[str]:
    with running_app(corpus_index) as url:
        yield url


@contextlib.contextmanager
def asked(page_url: str, question: str) -> Iterator[Any]:
    """Open the app in headless chromium, ask a question in the chat, wait for a citation; yield the page."""
    chromium = find_or_install_chromium()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(page_url, wait_until="domcontentloaded", timeout=60_000)
            box = page.get_by_placeholder("Ask about the sources", exact=False)
            box.wait_for(timeout=60_000)
            box.fill(question)
            box.press("Enter")
            page.locator("a.cite").first.wait_for(timeout=90_000)
            yield page
        finally:
            browser.close()


def test_question_answer_and_citation_render(page_url: str) -> None:
    with asked(page_url, "How many inmates can CECOT hold?") as page:
        citation = page.locator("a.cite").first
        bot_text = page.locator(".bot, [data-testid='bot']").last.inner_text(timeout=30_000)
        assert "40,000" in bot_text
        title = citation.get_attribute("title") or ""
        assert "40,000" in title or "“" in title, "hovering a marker shows the exact quote"
        assert page.locator("details summary", has_text="Sources").count() >= 1
        # Quotes from digests say so, in the hover and in the sources list, as rendered in the browser.
        titles = [t or "" for t in page.locator("a.cite").evaluate_all("els => els.map(e => e.title)")]
        digests = [t for t in titles if "digest: the project" in t]
        body = page.locator("body").inner_text()
        assert body.count("Digest of:") >= (1 if digests else 0)
        page.screenshot(path=str(ARTIFACTS / "chat-answer.png"), full_page=True)


def test_a_citation_opens_its_source_with_the_span_highlighted(page_url: str) -> None:
    with asked(page_url, "How many inmates can CECOT hold?") as page:
        quote = page.locator("a.cite").first.get_attribute("title") or ""
        page.get_by_role("button", name="Show in source").first.click()
        mark = page.locator("mark#cited")
        mark.wait_for(timeout=30_000)
        marked = mark.inner_text()
        assert marked and marked in quote  # the highlighted span is the citation's exact quote
        assert page.locator(".source-text").inner_text().count(marked) >= 1
        assert mark.is_visible()
        page.screenshot(path=str(ARTIFACTS / "source-view.png"), full_page=False)


@contextlib.contextmanager
def front_only(s: Settings) -> Iterator[tuple[Any, str]]:
    """Serve bot.front's Front (no UI yet) with uvicorn on a free port; yield it and its URL."""
    import threading
    import time

    import uvicorn

    from bot.front import Front

    from .conftest import free_port

    front, port = Front(s), free_port()
    server = uvicorn.Server(uvicorn.Config(front, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield front, f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def test_the_start_page_answers_and_then_offers_the_full_app(corpus_index: Settings) -> None:
    from bot.ui import build_app, mount

    with front_only(corpus_index) as (front, url), asked(url, "How many inmates can CECOT hold?") as page:
        assert "40,000" in page.locator("#answer").inner_text()
        assert page.locator("details summary", has_text="Sources").count() == 1
        assert not page.locator("#ready").is_visible()
        front.mount(lambda: mount(build_app(corpus_index), corpus_index))
        page.locator("#ready").wait_for(state="visible", timeout=30_000)  # an answer on screen is not reloaded away
        assert "40,000" in page.locator("#answer").inner_text()
        page.screenshot(path=str(ARTIFACTS / "start-page.png"), full_page=True)
