"""The evidence file under concurrency: several processes saving, moving and removing cards at once lose nothing;
each signed-in user has a file of their own, and neither sees the other's cards."""

from __future__ import annotations

import json
import multiprocessing as mp
from dataclasses import replace
from pathlib import Path

from gradio_client import Client

from bot.debate.evidence import evidence_path, load_cards, move_card, remove_card, save_card
from bot.settings import Settings
from bot.types import Card, Cite
from tests.conftest import make_settings, running_app

PROCESSES = 4
SAVES = 12


def _card(n: str) -> Card:
    cite = Cite(author="A", publisher="P", date="2024-01-01", title="T", url="https://example.org")
    return Card(
        id=n,
        tag=f"tag {n}",
        cite=cite,
        evidence="e",
        start=0,
        end=1,
        highlight=(),
        stance="pro",
        score=1.0,
        source_id="s",
    )


def _worker(data_dir: str, worker: int) -> None:
    s = make_settings(Path(data_dir))
    for i in range(SAVES):
        save_card(_card(f"w{worker}-{i}"), s)
        save_card(_card(f"w{worker}-tmp{i}"), s)
        move_card(f"w{worker}-{i}", -1, s)
        remove_card(f"w{worker}-tmp{i}", s)
        json.loads(evidence_path(s).read_text(encoding="utf-8"))  # the file always parses


def test_processes_saving_moving_and_removing_lose_nothing(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(str(tmp_path), w)) for w in range(PROCESSES)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
        assert p.exitcode == 0
    ids = [c.id for c in load_cards(make_settings(tmp_path))]
    expected = {f"w{w}-{i}" for w in range(PROCESSES) for i in range(SAVES)}
    assert sorted(ids) == sorted(expected)  # every save kept, every removal done, no duplicate


def test_each_user_has_their_own_file(tmp_path: Path) -> None:
    s = make_settings(tmp_path)
    save_card(_card("a1"), s, user="alice")
    save_card(_card("b1"), s, user="bob")
    save_card(replace(_card("x"), tag="no login"), s)
    assert [c.id for c in load_cards(s, user="alice")] == ["a1"]
    assert [c.id for c in load_cards(s, user="bob")] == ["b1"]
    assert [c.id for c in load_cards(s)] == ["x"]
    assert evidence_path(s, "../../etc/passwd").parent == tmp_path.resolve() / "evidence"


def test_two_signed_in_users_do_not_see_each_others_cards(fixture_index: Settings, tmp_path: Path) -> None:
    import shutil

    data = tmp_path / "data"
    shutil.copytree(fixture_index.data_dir, data)
    s = make_settings(data, fixture_index.corpus_dir, auth="alice:pw-a,bob:pw-b")
    motion = "The prison policy is justified"
    with running_app(s) as url:
        alice = Client(url, auth=("alice", "pw-a"), verbose=False)
        bob = Client(url, auth=("bob", "pw-b"), verbose=False)
        brief = alice.predict(motion, 2, "", "", api_name="/brief")
        card_id = (brief["pro"] + brief["con"])[0]["id"]
        saved = alice.predict(card_id, api_name="/save_card")
        assert [c["id"] for c in saved] == [card_id]
        # Bob never saw that card in his session, so he cannot save it, and his file stays empty.
        try:
            bob.predict(card_id, api_name="/save_card")
        except Exception as exc:  # gradio_client raises its own AppError
            assert "was shown in this session" in str(exc)
        else:
            raise AssertionError("bob saved a card shown only to alice")
        assert bob.predict(api_name="/my_file") == []
        assert [c["id"] for c in alice.predict(api_name="/my_file")] == [card_id]
