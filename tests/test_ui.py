"""The web app: named API endpoints through gradio_client, escaping, uploads, the evidence file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client

from bot.debate.evidence import load_cards, move_card, remove_card, save_card
from bot.errors import InputError, SourceError
from bot.manifest import list_sources, source_text
from bot.render import answer_html
from bot.settings import Settings
from bot.types import Answer, Citation
from bot.uploads import add_upload, safe_name

from .conftest import make_settings, running_app


@pytest.fixture(scope="module")
def app_url(corpus_index: Settings) -> Iterator[str]:
    with running_app(corpus_index) as url:
        yield url


@pytest.fixture(scope="module")
def client(app_url: str) -> Client:
    return Client(app_url, verbose=False)


def test_binds_to_localhost(app_url: str) -> None:
    assert app_url.startswith("http://127.0.0.1:")


def test_ask_endpoint_returns_checked_citations(client: Client, corpus_index: Settings) -> None:
    answer = client.predict("How many inmates can CECOT hold?", api_name="/ask")
    assert answer["question"] == "How many inmates can CECOT hold?"
    assert not answer["refused"] and answer["citations"]
    for c in answer["citations"]:
        assert source_text(c["source_id"], corpus_index)[c["start"] : c["end"]] == c["quote"]
    assert any("40,000" in c["quote"] for c in answer["citations"])


def test_search_endpoint(client: Client, corpus_index: Settings) -> None:
    passages = client.predict("deaths in custody", 5, api_name="/search")
    assert len(passages) == 5 and len({p["source_id"] for p in passages}) >= 2
    for p in passages:
        assert source_text(p["source_id"], corpus_index)[p["start"] : p["end"]] == p["text"]


def test_brief_endpoint(client: Client, corpus_index: Settings) -> None:
    result = client.predict(
        "El Salvador's mass-incarceration policy, symbolised by CECOT, is justified", 4, api_name="/brief"
    )
    assert result["pro"] and result["con"]
    for card in result["pro"] + result["con"]:
        assert source_text(card["source_id"], corpus_index)[card["start"] : card["end"]] == card["evidence"]


def test_errors_are_errors_not_answers(client: Client) -> None:
    with pytest.raises(Exception, match="empty"):
        client.predict("   ", api_name="/ask")


def test_source_text_is_escaped_in_html() -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    answer = Answer(
        question="q",
        text=f"{evil} [1]",
        citations=[Citation(1, "p", "s", evil, "javascript:alert(1)", evil, "2024", evil, 0, 5, True)],
        refused=False,
        model="extractive",
    )
    page = answer_html(answer)
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;" in page


def test_upload_is_confined_and_rejections_change_nothing(tmp_path: Path) -> None:
    s = make_settings(tmp_path / "data", tmp_path / "no-corpus")
    good = tmp_path / "My Notes (v2).txt"
    good.write_text("The prison review counted 12 cell blocks. Each block holds many prisoners.")
    report = add_upload(good, filename="../../etc/My Notes (v2).txt", settings=s)
    assert report.added == ["my-notes-v2"]
    stored = list(s.uploads_dir.iterdir())
    assert [p.name for p in stored] == ["my-notes-v2.txt"]
    before = [x.id for x in list_sources(s)]
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 garbage")
    with pytest.raises(SourceError, match="not added"):
        add_upload(bad, settings=s)
    with pytest.raises(InputError, match="already uploaded"):
        add_upload(good, settings=s)
    with pytest.raises(SourceError, match="Unsupported"):
        add_upload(good, filename="evil.exe", settings=s)
    assert [x.id for x in list_sources(s)] == before
    assert sorted(p.name for p in s.uploads_dir.iterdir()) == ["my-notes-v2.txt"]
    assert safe_name("/abs/path/../x.md") == "x.md"


def test_evidence_file_persists_and_reorders(corpus_index: Settings, tmp_path: Path) -> None:
    from bot.debate.brief import brief

    cards = brief(
        "El Salvador's mass-incarceration policy, symbolised by CECOT, is justified", per_side=2, settings=corpus_index
    )
    s = make_settings(tmp_path / "data")
    picked = (cards.pro + cards.con)[:3]
    for card in picked:
        save_card(card, s)
    save_card(picked[0], s)  # saving twice keeps one copy
    fresh = make_settings(tmp_path / "data")  # as after a restart
    assert [c.id for c in load_cards(fresh)] == [c.id for c in picked]
    assert load_cards(fresh)[0] == picked[0]
    move_card(picked[2].id, -2, fresh)
    assert load_cards(fresh)[0].id == picked[2].id
    remove_card(picked[1].id, fresh)
    assert picked[1].id not in [c.id for c in load_cards(fresh)]


def test_unreadable_evidence_file_is_never_overwritten(tmp_path: Path, corpus_index: Any) -> None:
    from bot.errors import StoreError

    s = make_settings(tmp_path / "data")
    s.data_dir.mkdir(parents=True)
    (s.data_dir / "evidence.json").write_text("{not json")
    with pytest.raises(StoreError, match="cannot be read"):
        load_cards(s)
    assert (s.data_dir / "evidence.json").read_text() == "{not json"


def test_a_chat_citation_becomes_a_saved_card(corpus_index: Settings, tmp_path: Path) -> None:
    from bot.answer import ask
    from bot.debate.cards import verified
    from bot.debate.evidence import card_from_citation

    answer = ask("How many inmates can CECOT hold?", settings=corpus_index)
    card = card_from_citation(answer.citations[0], answer.question, corpus_index)
    assert card.evidence == answer.citations[0].quote and verified(card, corpus_index)
    assert card.tag_origin == "bot's words" and card.stance in ("pro", "con", "neutral")
    s = make_settings(tmp_path / "data")
    assert [c.id for c in save_card(card, s)] == [card.id]


def test_source_endpoint_returns_the_text_and_the_span(fixture_index: Settings) -> None:
    from gradio_client import Client

    from bot.manifest import source_text
    from tests.conftest import running_app

    with running_app(fixture_index) as url:
        client = Client(url, verbose=False)
        answer = client.predict("How many inmates can the prison hold?", api_name="/ask")
        c = answer["citations"][0]
        view = client.predict(c["source_id"], c["start"], c["end"], api_name="/source")
        assert view["text"] == source_text(c["source_id"], fixture_index)
        assert view["text"][view["start"] : view["end"]] == view["quote"] == c["quote"]
        try:
            client.predict(c["source_id"], 0, 10**9, api_name="/source")
        except Exception as exc:  # gradio_client's AppError
            assert "outside" in str(exc)
        else:
            raise AssertionError("an out-of-range span was accepted")
