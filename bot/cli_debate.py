"""CLI commands for debate work (brief, rebut, clash); registered by bot.__main__.

The task modules are imported inside the handlers so that ``python -m bot --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bot.phrases import BOT_WORDS_LABEL
from bot.types import Card, to_dict


def register(sub: Any) -> None:
    """Add this module's subcommands to the ``python -m bot`` parser."""
    p = sub.add_parser("brief", help="cards for and against a motion (verbatim evidence, full cites)")
    p.add_argument("motion", help="the motion, e.g. the default one in corpus/motions.yaml")
    p.add_argument("--per-side", type=int, default=5, help="cards per side (default 5)")
    p.add_argument("--verbatim-only", action="store_true", help="cut cards only from verbatim sources (no digests)")
    p.add_argument("--json", action="store_true", help="print the brief as JSON")
    p.add_argument("--docx", type=Path, metavar="FILE", help="also write a Verbatim-style .docx")
    p.add_argument("--md", type=Path, metavar="FILE", help="also write Markdown")
    p.set_defaults(func=_cmd_brief)

    p = sub.add_parser("rebut", help="answer-to blocks: the other side's evidence against an argument")
    p.add_argument("argument", help="the opponent's argument: a sentence or a pasted card")
    p.add_argument("-n", type=int, default=3, help="cards per block (default 3)")
    p.add_argument("--json", action="store_true", help="print the rebuttal as JSON")
    p.set_defaults(func=_cmd_rebut)

    p = sub.add_parser("clash", help="figures the sources disagree on (homicides, deaths in custody, arrests...)")
    p.add_argument("--topic", action="append", help="only this topic id (repeatable; see corpus/clash_topics.yaml)")
    p.add_argument("--json", action="store_true", help="print the clash points as JSON")
    p.set_defaults(func=_cmd_clash)


def _print_json(obj: Any) -> None:
    print(json.dumps(to_dict(obj), ensure_ascii=False, indent=2))


def _card_lines(card: Card, indent: str = "   ") -> str:
    from bot.export import cite_parts

    bold, rest = cite_parts(card)
    marks = " | ".join(h.text for h in card.highlight)
    return (
        f"{indent}[{card.side_label}] {card.tag}  ({BOT_WORDS_LABEL})\n"
        f"{indent}{bold}, {rest}\n"
        f"{indent}{card.source_id}[{card.start}:{card.end}]: {card.evidence}\n"
        + (f"{indent}read: {marks}\n" if marks else "")
    )


def _cmd_brief(args: argparse.Namespace) -> int:
    from bot.brief import brief

    result = brief(args.motion, per_side=args.per_side, verbatim_only=args.verbatim_only)
    if args.docx:
        from bot.export import brief_to_docx

        brief_to_docx(result, args.docx)
    if args.md:
        from bot.export import brief_to_markdown

        try:
            args.md.write_text(brief_to_markdown(result), encoding="utf-8")
        except OSError as exc:
            from bot.errors import InputError

            raise InputError(f"Cannot write {args.md}: {exc}.", "Pick a folder you can write to.") from exc
    if args.json:
        _print_json(result)
        return 0
    print(f"Motion: {result.motion}  (model: {result.model})\n")
    for side in ("pro", "con"):
        cards = getattr(result, side)
        sources = result.coverage.get(side, {}).get("sources", [])
        print(f"== {side.upper()}: {len(cards)} cards from {len(sources)} sources")
        for i, card in enumerate(cards, 1):
            print(f"{i}." + _card_lines(card)[2:])
    missing = result.coverage.get("contentions_without_evidence") or []
    if missing:
        print("Contentions with no evidence in the sources: " + ", ".join(missing))
    for label, path in (("docx", args.docx), ("markdown", args.md)):
        if path:
            print(f"wrote {label}: {path}")
    return 0


def _cmd_rebut(args: argparse.Namespace) -> int:
    from bot.rebuttal import rebut

    result = rebut(args.argument, n=args.n)
    if args.json:
        _print_json(result)
        return 0
    if result.unsure:
        print(
            f"Argument (side unsure: {result.side_confidence:.2f}): {result.argument}\n"
            "Answering both readings: as a pro argument (con evidence) and as a con argument (pro evidence).\n"
        )
    else:
        print(
            f"Argument (likely {result.argument_stance}, {result.side_confidence:.2f}): {result.argument}\n"
            f"Answering with {result.answer_side} evidence.\n"
        )
    for block in result.blocks:
        print(f"A2 ({block.reading} reading): {block.answers}" if result.unsure else f"A2: {block.answers}")
        if block.analysis:
            print(f"   Analysis ({block.analysis_origin}): {block.analysis}")
        if not block.cards:
            print("   No evidence in the sources answers this point.")
        for i, card in enumerate(block.cards, 1):
            print(f"{i}." + _card_lines(card)[2:])
    return 0


def _cmd_clash(args: argparse.Namespace) -> int:
    from bot.clash import clash

    points = clash(topics=args.topic)
    if args.json:
        _print_json(points)
        return 0
    if not points:
        print("The sources agree on every figure they give for the same measure and year (or give none).")
    for point in points:
        print(f"== {point.topic}  [{point.id}]")
        for side in point.sides:
            cite = side.card.cite
            print(f"   {side.value:>10}  {cite.publisher} ({cite.date or 'n.d.'}): {side.card.evidence}")
        print()
    return 0
