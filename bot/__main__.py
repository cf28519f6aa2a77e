"""Command line: ``python -m bot <command>``; run ``python -m bot --help`` for the list."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from bot.errors import BotError
from bot.types import to_json


def _cmd_ingest(args: argparse.Namespace) -> int:
    from bot.ingest import ingest

    report = ingest(args.paths or None, progress=not args.quiet, rebuild=args.rebuild)
    if args.json:
        print(to_json(report))
    else:
        for name in ("added", "updated", "unchanged", "removed"):
            ids = getattr(report, name)
            print(f"{name}: {len(ids)}" + (f"  ({', '.join(ids)})" if ids and name != "unchanged" else ""))
        for sid, lines in report.dropped_lines.items():
            print(f"dropped as boilerplate in {sid}: {len(lines)} line(s): {'; '.join(lines)}")
        for sid, notes in report.warnings.items():
            print(f"warning: {sid}: {'; '.join(notes)}")
        print(f"passages embedded: {report.passages_embedded}  time: {report.seconds:.2f} s")
        for origin, why in report.failed.items():
            print(f"FAILED {origin}: {why}", file=sys.stderr)
    return 1 if report.failed else 0


def _cmd_search(args: argparse.Namespace) -> int:
    from bot.retrieval import retrieve

    passages = retrieve(args.query, args.k, sources=args.source or None, min_score=args.min_score)
    if args.json:
        print(to_json(passages))
        return 0
    if not passages:
        print("No passages matched.")
    for i, p in enumerate(passages, 1):
        where = f"{p.source_id}[{p.start}:{p.end}]" + (f" p.{p.page}" if p.page else "")
        print(f"{i}. ({p.score:.3f}) {p.title} - {p.publisher} {p.date}  {where}\n   {p.text}\n")
    return 0


def _positive(text: str) -> int:
    """Parse a whole number of at least 1 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is below 1; give a number of questions of at least 1")
    return value


def _cmd_ask(args: argparse.Namespace) -> int:
    from bot.answer import ask
    from bot.phrases import CLOSEST_LABEL, DIGEST_LABEL

    answer = ask(args.question, k=args.k, sources=args.source or None)
    if args.json:
        print(to_json(answer))
        return 0
    if answer.note:
        print(f"note: {answer.note}\n")
    print(answer.text)
    for sentence in answer.sentences:
        if not sentence.supported:
            print(f"  not supported: {sentence.text!r} ({sentence.reason})")
    if answer.refused:
        if answer.closest:
            print(f"\n{CLOSEST_LABEL}:")
        for p in answer.closest:
            print(f"- {p.title} ({p.publisher}, {p.date}) {p.source_id}[{p.start}:{p.end}]: {p.text}")
        return 0
    print()
    for c in answer.citations:
        mark = "" if c.verified else "  (NOT VERIFIED)"
        digest = f"  ({DIGEST_LABEL})" if c.digest else ""
        print(f"[{c.n}] {c.title} - {c.publisher}, {c.date}. {c.url}  {c.source_id}[{c.start}:{c.end}]{mark}{digest}")
    for flag in answer.flagged:
        print(f"warning: {flag}", file=sys.stderr)
    print(f"\n(answered by: {answer.model})")
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.evaluate import calibrate, format_llm_table, format_table, run_eval, run_llm_eval

    if args.calibrate:
        print(to_json(calibrate(args.set)))
        return 0
    if args.external:
        return _eval_external(args)
    if args.cards:
        from bot.debate.cards_eval import evaluate_cards, format_cards

        print("... cutting cards from each human card's text (one small index each)", file=sys.stderr)
        return _report(evaluate_cards(), Path(args.out) if args.out else None, args.json, format_cards)
    say = None if args.json else (lambda msg: print(f"... {msg}", file=sys.stderr))
    if args.llm:
        result = run_llm_eval(args.set, split=args.split, limit=args.limit, progress=say)
        return _report(result, Path(args.out) if args.out else None, args.json, format_llm_table)
    result = run_eval(args.set, split=args.split, baseline=not args.no_baseline, progress=say)
    return _report(result, Path(args.out) if args.out else None, args.json, format_table)


def _report(result: dict[str, Any], out: Any, as_json: bool, table: Callable[[dict[str, Any]], str]) -> int:
    """Save a JSON summary (when ``out`` is given) and print it as JSON or as a table."""
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    if as_json:
        print(to_json(result))
    else:
        print(table(result))
        if out is not None:
            print(f"\nsaved: {out}")
    return 0


def _eval_external(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.debate.external import evaluate_external, format_external
    from bot.settings import get_settings

    print("... embedding the held-out public data (cached after the first run)", file=sys.stderr)
    result = evaluate_external()
    out = Path(args.out) if args.out else get_settings().data_dir / "eval-external.json"
    return _report(result, out, args.json, format_external)


def _cmd_sources(args: argparse.Namespace) -> int:
    from bot.manifest import list_sources

    sources = list_sources()
    if args.json:
        print(to_json(sources))
        return 0
    if not sources:
        print("No sources ingested yet. Run `python -m bot ingest`.")
    for s in sources:
        print(f"{s.id:40} {s.leaning or '-':6} {s.date or 'n.d.':10} {s.passages:4} passages  {s.publisher}: {s.title}")
        print(f"{'':40} from {s.origin}" + (f" ({s.encoding})" if s.encoding else ""))
    return 0


def _cmd_remove(args: argparse.Namespace) -> int:
    from bot.ingest import remove_source

    for sid in args.source_ids:
        remove_source(sid)
        print(f"removed: {sid}")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from bot.manifest import source_text

    text = source_text(args.source_id)
    start = args.start or 0
    end = len(text) if args.end is None else args.end
    print(text[start:end])
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m bot``."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="Debate-preparation bot over your sources.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", help="index the shipped corpus and uploads, or the given files/folders/URLs")
    p.add_argument("paths", nargs="*", help="files, folders or http(s) URLs (default: corpus/ and uploads)")
    p.add_argument("--rebuild", action="store_true", help="wipe the index and embed everything again")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_cmd_ingest)

    p = sub.add_parser("search", help="hybrid search: passages with exact offsets")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=5, help="number of passages (default 5)")
    p.add_argument("--source", action="append", help="only this source id (repeatable)")
    p.add_argument("--min-score", type=float, default=None, help="drop passages below this cosine similarity")
    p.add_argument("--json", action="store_true", help="print passages as JSON")
    p.set_defaults(func=_cmd_search)

    p = sub.add_parser("ask", help="answer a question with verified citations (or refuse)")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=None, help="passages to retrieve (default BOT_ANSWER_K)")
    p.add_argument("--source", action="append", help="only this source id (repeatable)")
    p.add_argument("--json", action="store_true", help="print the Answer as JSON")
    p.set_defaults(func=_cmd_ask)

    p = sub.add_parser("eval", help="measure retrieval, answers, citations, refusals and stance on an eval set")
    p.add_argument("--set", default=None, help="eval file or folder (default tests/eval/)")
    p.add_argument("--split", choices=["dev", "test"], default=None, help="only this split (default: both)")
    p.add_argument("--no-baseline", action="store_true", help="skip the vanilla LangChain baseline")
    p.add_argument("--calibrate", action="store_true", help="grid-search the refusal thresholds on the dev split")
    p.add_argument(
        "--external",
        action="store_true",
        help="measure the stance model on held-out public motions (BOT_ARGDATA_DIR, default ../shared/argdata)",
    )
    p.add_argument(
        "--cards", action="store_true", help="measure card cutting against human-cut Verbatim cards (same folder)"
    )
    p.add_argument(
        "--llm",
        action="store_true",
        help="run the questions through the configured model (BOT_LLM) beside the extractive answerer: accuracy, "
        "citation precision, answers passing the checks, fallbacks, p50/p95 latency",
    )
    p.add_argument("--limit", type=_positive, default=None, help="with --llm: this many questions, spread over the set")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--out", default=None, help="also save the JSON summary to this file")
    p.set_defaults(func=_cmd_eval)

    p = sub.add_parser("sources", help="list ingested sources")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_sources)

    p = sub.add_parser("remove", help="remove sources from the index by id")
    p.add_argument("source_ids", nargs="+")
    p.set_defaults(func=_cmd_remove)

    p = sub.add_parser("show", help="print a stored source text (or a slice of it)")
    p.add_argument("source_id")
    p.add_argument("--start", type=int, default=None)
    p.add_argument("--end", type=int, default=None)
    p.set_defaults(func=_cmd_show)

    from bot.debate import cli

    cli.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; a BotError prints its message to stderr and exits with status 2."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
