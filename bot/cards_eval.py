"""``python -m bot eval --cards``: card cutting measured against cards cut by a person in Verbatim.

The yardstick is ``human_cut_cards.jsonl`` in the public argument data folder (14 cards from the MIT-licensed
OpenDebate/debate-cards sample; see ``bot.argdata``). For each human card, its full text is ingested as the only
source of a fresh index and ``brief()`` is asked for up to 3 cards on the human's own tag
(``contentions={"pro": [tag]}``). Word sets are lower-cased word tokens. Reported, averaged over the cards:

* ``highlight`` precision / recall / F1: the words the bot highlights against the words the human highlighted;
* ``underline_f1``: the words of the bot's evidence spans against the human's underlined words (the bot has no
  separate underline layer yet, so its whole evidence stands for the warrant);
* ``evidence_coverage``: the share of the human's highlighted words inside the bot's evidence;
* ``highlight_ratio``: the bot's highlighted words over its evidence words (humans: about 15-35%);
* ``cards_share``: the share of tags for which the bot cut at least one card;
* ``all_text``: the highlight F1 of highlighting every word of the text, the floor any method must beat.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.argdata import folder
from bot.settings import Settings, get_settings

CARDS_FILE = "human_cut_cards.jsonl"
_WORD = re.compile(r"\w+")


def words(text: str) -> set[str]:
    """Return the lower-cased word tokens of a text."""
    return {w.lower() for w in _WORD.findall(text)}


def prf(pred: set[str], gold: set[str]) -> tuple[float, float, float]:
    """Return precision, recall and F1 of two word sets."""
    if not pred or not gold:
        return 0.0, 0.0, 0.0
    tp = len(pred & gold)
    p, r = tp / len(pred), tp / len(gold)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def load_human_cards(settings: Settings | None = None) -> list[dict[str, Any]]:
    """Return the human-cut cards (raises ArgDataMissing without the public data)."""
    path = folder(settings) / CARDS_FILE
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _spans(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else [str(value or "")]


def evaluate_cards(settings: Settings | None = None, *, limit: int | None = None) -> dict[str, Any]:
    """Cut cards on every human card's tag from its text alone and compare the layers with the human's.

    ``limit`` keeps the first n cards (a quick smoke run; the README's figures use all 14).
    """
    from bot.brief import brief
    from bot.ingest import ingest

    began = time.perf_counter()
    base = settings or get_settings()
    rows = []
    for i, human in enumerate(load_human_cards(base)[:limit]):
        with tempfile.TemporaryDirectory(prefix="bot-cards-") as tmp:
            corpus = Path(tmp) / "corpus"
            corpus.mkdir()
            (corpus / f"card-{i:02d}.txt").write_text(human["text"], encoding="utf-8")
            s = base.model_copy(update={"data_dir": Path(tmp) / "data", "corpus_dir": corpus})
            ingest(settings=s)
            result = brief(human["tag"], per_side=3, contentions={"pro": [human["tag"]]}, settings=s)
        cards = result.pro + result.con
        gold_high = words(" ".join(_spans(human.get("highlighted"))))
        gold_under = words(" ".join(_spans(human.get("underlined"))))
        bot_high = words(" ".join(h.text for c in cards for h in c.highlight))
        bot_evidence = words(" ".join(c.evidence for c in cards))
        hp, hr, hf = prf(bot_high, gold_high)
        rows.append(
            {
                "tag": human["tag"],
                "cards": len(cards),
                "highlight_precision": hp,
                "highlight_recall": hr,
                "highlight_f1": hf,
                "underline_f1": prf(bot_evidence, gold_under)[2],
                "evidence_coverage": len(bot_evidence & gold_high) / max(len(gold_high), 1),
                "highlight_ratio": len(bot_high) / max(len(bot_evidence), 1),
                "all_text_f1": prf(words(human["text"]), gold_high)[2],
            }
        )

    def mean(key: str) -> float:
        return round(sum(float(r[key]) for r in rows) / max(len(rows), 1), 3)

    return {
        "n": len(rows),
        "highlight": {k: mean(f"highlight_{k}") for k in ("precision", "recall", "f1")},
        "underline_f1": mean("underline_f1"),
        "evidence_coverage": mean("evidence_coverage"),
        "highlight_ratio": mean("highlight_ratio"),
        "cards_share": round(sum(r["cards"] > 0 for r in rows) / max(len(rows), 1), 3),
        "all_text_f1": mean("all_text_f1"),
        "per_card": rows,
        "source": "OpenDebate/debate-cards sample (MIT), via ../shared/argdata/human_cut_cards.jsonl",
        "seconds": round(time.perf_counter() - began, 1),
    }


def format_cards(result: dict[str, Any]) -> str:
    """Return the card-cutting report as a short table."""
    h = result["highlight"]
    return "\n".join(
        [
            f"Card cutting against {result['n']} human-cut cards ({result['source']})",
            f"highlight P/R/F1 {h['precision']:.3f} / {h['recall']:.3f} / {h['f1']:.3f}  "
            f"(highlighting every word: F1 {result['all_text_f1']:.3f})",
            f"underline F1 {result['underline_f1']:.3f}  evidence coverage of the human highlight "
            f"{result['evidence_coverage']:.3f}  highlight ratio {result['highlight_ratio']:.3f}  "
            f"tags with a card {result['cards_share']:.3f}",
        ]
    )
