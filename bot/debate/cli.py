"""CLI commands for debate work (brief, rebut, clash); registered by bot.__main__.

The task modules are imported inside the handlers so that ``python -m bot --help`` stays fast.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.types import Card, to_json


def register(sub: Any) -> None:
    """Add this module's subcommands to the ``python -m bot`` parser."""
    p = sub.add_parser("brief", help="cards for and against a motion (verbatim evidence, full cites)")
    p.add_argument("motion", help="the motion, e.g. the default one in corpus/motions.yaml")
    p.add_argument("--per-side", type=int, default=5, help="cards per side (default 5)")
    _card_options(p, "the brief")
    p.set_defaults(func=_cmd_brief)

    p = sub.add_parser("cut", help="cut cards for a tag you wrote (no motion, no side): the evidence that proves it")
    p.add_argument("tag", help="the tag: the claim the card must prove, in your words")
    p.add_argument("-n", type=int, default=3, help="cards (default 3)")
    p.add_argument("--source", metavar="ID", help="cut from this source only (ids: python -m bot sources)")
    _card_options(p, "the cards")
    p.set_defaults(func=_cmd_cut)

    p = sub.add_parser("rebut", help="answer-to blocks: the other side's evidence against an argument")
    p.add_argument("argument", help="the opponent's argument: a sentence or a pasted card")
    p.add_argument("-n", type=int, default=3, help="cards per block (default 3)")
    p.add_argument("--json", action="store_true", help="print the rebuttal as JSON")
    p.set_defaults(func=_cmd_rebut)

    p = sub.add_parser("clash", help="figures the sources disagree on (homicides, deaths in custody, arrests...)")
    p.add_argument("--topic", action="append", help="only this topic id (repeatable; see corpus/clash_topics.yaml)")
    p.add_argument("--json", action="store_true", help="print the clash points as JSON")
    p.set_defaults(func=_cmd_clash)


def _card_options(p: Any, what: str) -> None:
    """Add the options brief and cut share: verbatim sources only, JSON, and the .docx / Markdown exports."""
    p.add_argument("--verbatim-only", action="store_true", help="cut cards only from verbatim sources (no digests)")
    p.add_argument("--json", action="store_true", help=f"print {what} as JSON")
    p.add_argument("--docx", type=Path, metavar="FILE", help="also write a Verbatim-style .docx")
    p.add_argument("--md", type=Path, metavar="FILE", help="also write Markdown")
    p.add_argument("--shrink", action="store_true", help="in the exports, print text that is not underlined small")


def _card_lines(card: Card, indent: str = "   ") -> str:
    from bot.debate.export import cite_parts

    bold, rest = cite_parts(card)
    marks = " | ".join(h.text for h in card.highlight)
    under = " | ".join(u.text for u in card.underline)
    return (
        f"{indent}[{card.side_label}] {card.tag}  ({card.tag_origin})\n"
        f"{indent}{bold}, {rest}\n"
        f"{indent}{card.source_id}[{card.start}:{card.end}]: {card.evidence}\n"
        + (f"{indent}underlined: {under}\n" if under else "")
        + (f"{indent}read: {marks}\n" if marks else "")
    )


def _write_exports(args: argparse.Namespace, docx: Any, markdown: Any) -> None:
    """Write the --docx and --md files with the given writers (Markdown errors say what to do)."""
    if args.docx:
        docx(args.docx)
    if args.md:
        try:
            args.md.write_text(markdown(), encoding="utf-8")
        except OSError as exc:
            from bot.errors import InputError

            raise InputError(f"Cannot write {args.md}: {exc}.", "Pick a folder you can write to.") from exc


def _cmd_brief(args: argparse.Namespace) -> int:
    from bot.debate.brief import brief
    from bot.debate.export import brief_to_docx, brief_to_markdown

    result = brief(args.motion, per_side=args.per_side, verbatim_only=args.verbatim_only)
    _write_exports(
        args,
        lambda path: brief_to_docx(result, path, shrink=args.shrink),
        lambda: brief_to_markdown(result, shrink=args.shrink),
    )
    if args.json:
        print(to_json(result))
        return 0
    print(f"Motion: {result.motion}  (model: {result.model})\n")
    for side in ("pro", "con"):
        cards = getattr(result, side)
        sources = result.coverage.get(side, {}).get("sources", [])
        print(f"== {side.upper()}: {len(cards)} cards from {len(sources)} sources")
        for i, card in enumerate(cards, 1):
            print(f"{i}." + _card_lines(card)[2:])
    for missing in result.no_cards:
        print(f"No card for {missing.side} {missing.contention} ({missing.claim}): {missing.message}")
    for label, path in (("docx", args.docx), ("markdown", args.md)):
        if path:
            print(f"wrote {label}: {path}")
    return 0


def _cmd_cut(args: argparse.Namespace) -> int:
    from bot.debate.brief import cut_cards
    from bot.debate.export import cards_to_docx, cards_to_markdown

    result = cut_cards(args.tag, n=args.n, source_id=args.source, verbatim_only=args.verbatim_only)
    if result.cards:
        _write_exports(
            args,
            lambda path: cards_to_docx(result.cards, path, result.tag, shrink=args.shrink),
            lambda: cards_to_markdown(result.cards, result.tag, shrink=args.shrink),
        )
    if args.json:
        print(to_json(result))
        return 0
    print(f"Tag: {result.tag}  ({len(result.cards)} cards)\n")
    for i, card in enumerate(result.cards, 1):
        print(f"{i}." + _card_lines(card)[2:])
    if result.no_card is not None:
        print(f"No card: {result.no_card.message}")
        return 1
    for label, path in (("docx", args.docx), ("markdown", args.md)):
        if path:
            print(f"wrote {label}: {path}")
    return 0


def _cmd_rebut(args: argparse.Namespace) -> int:
    from bot.debate.rebuttal import rebut

    result = rebut(args.argument, n=args.n)
    if args.json:
        print(to_json(result))
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
    from bot.debate.clash import clash

    points = clash(topics=args.topic)
    if args.json:
        print(to_json(points))
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
