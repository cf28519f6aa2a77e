"""Digests are labelled as digests wherever a debater sees evidence: chat citations, cards, exports, JSON; a brief
can be cut from verbatim sources only."""

from __future__ import annotations

from pathlib import Path

import docx

from bot.answer import ask
from bot.debate.brief import brief
from bot.debate.export import brief_to_docx, brief_to_markdown
from bot.manifest import list_sources
from bot.phrases import DIGEST_LABEL
from bot.render import answer_html, card_html
from bot.settings import Settings
from bot.types import to_dict

MOTION = "El Salvador's mass-incarceration policy, symbolised by CECOT, is justified"


def test_sources_say_which_are_digests(corpus_index: Settings) -> None:
    infos = {s.id: s for s in list_sources(corpus_index)}
    assert not infos["cecot-article"].digest
    assert sum(s.digest for s in infos.values()) == len(infos) - 1


def test_chat_citations_from_digests_say_so(corpus_index: Settings) -> None:
    answer = ask("How many people have died in custody under the state of exception?", settings=corpus_index)
    assert answer.citations
    digests = {s.id for s in list_sources(corpus_index) if s.digest}
    for c in answer.citations:
        assert c.digest == (c.source_id in digests)
    assert any(c.digest for c in answer.citations)
    data = to_dict(answer)
    assert all("digest" in c for c in data["citations"])
    page = answer_html(answer)
    assert DIGEST_LABEL in page.replace("&#x27;", "'") and "Digest of:" in page


def test_cards_from_digests_cite_the_digest_never_the_author(corpus_index: Settings, tmp_path: Path) -> None:
    result = brief(MOTION, per_side=4, settings=corpus_index)
    cards = result.pro + result.con
    digest_cards = [c for c in cards if c.cite.digest]
    assert digest_cards
    for card in digest_cards:
        html = card_html(card).replace("&#x27;", "'")
        assert "Digest of: " in html and DIGEST_LABEL in html
    md = brief_to_markdown(result)
    assert md.count("Digest of: ") == len(digest_cards)
    path = tmp_path / "brief.docx"
    brief_to_docx(result, path)
    paragraphs = [p.text for p in docx.Document(str(path)).paragraphs]
    cites = [p for p in paragraphs if p.startswith("Digest of: ")]
    assert len(cites) == len(digest_cards) and all(DIGEST_LABEL in p for p in cites)
    bold = [r.text for p in docx.Document(str(path)).paragraphs for r in p.runs if r.bold]
    assert sum(t.startswith("Digest of: ") for t in bold) == len(digest_cards)


def test_verbatim_only_brief_uses_no_digest(corpus_index: Settings) -> None:
    result = brief(MOTION, per_side=3, verbatim_only=True, settings=corpus_index)
    cards = result.pro + result.con
    assert cards and all(not c.cite.digest and c.source_id == "cecot-article" for c in cards)


DIGEST = """---
title: "Prison report"
publisher: "Fixture Wire"
author: "A. Writer"
date: "2024-05-01"
url: "https://example.org/prison-report"
kind: news
leaning: con
digest: true
---
According to Fixture Wire, the northern prison holds 12,000 inmates and rights groups say detainees are abused.
"""
ORIGINAL = """---
title: "Prison report"
publisher: "Fixture Wire"
author: "A. Writer"
date: "2024-05-01"
url: "https://example.org/prison-report/"
kind: news
leaning: con
---
The northern prison now holds 12,000 inmates, officials said, while rights groups say detainees are abused there.
"""


def test_an_ingested_original_replaces_its_digest_as_evidence(tmp_path: Path) -> None:
    from bot.ingest import ingest
    from bot.retrieval import retrieve
    from tests.conftest import make_settings

    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "digest.md").write_text(DIGEST, encoding="utf-8")
    s = make_settings(tmp_path / "data", folder)
    ingest(settings=s)
    before = ask("How many inmates does the northern prison hold?", settings=s)
    assert {c.source_id for c in before.citations} == {"digest"} and all(c.digest for c in before.citations)

    (folder / "original.md").write_text(ORIGINAL, encoding="utf-8")
    ingest(settings=s)
    after = ask("How many inmates does the northern prison hold?", settings=s)
    assert after.citations and {c.source_id for c in after.citations} == {"original"}
    assert not any(c.digest for c in after.citations)
    cards = brief("The northern prison policy is justified", per_side=2, settings=s)
    assert all(c.source_id == "original" for c in cards.pro + cards.con)
    # The digest stays listed and searchable.
    assert "digest" in {x.id for x in list_sources(s)}
    assert "digest" in {p.source_id for p in retrieve("northern prison inmates", 5, settings=s)}
