"""The ``sitrep`` command line: ingest, ask, places, watch, digest, run, demo and upkeep."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.app import App, build_app
from bot.digests.delivery import DeliveryStatus
from bot.render import data as as_json
from bot.render import text as as_text
from bot.service import Service
from bot.settings import Settings, SettingsError
from index.dates import parse_since
from index.errors import QueryError, SitrepError
from index.models import Answer, IngestReport
from index.places.geoparse import find_places

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sitrep",
        description="Situation monitoring: ingest news, ask what happened, get cited passages.",
    )
    p.add_argument("--data-dir", help="data directory (env SITREP_DATA_DIR, default ./data)")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ing = sub.add_parser("ingest", help="add articles from files, folders, pages and feeds")
    ing.add_argument("targets", nargs="+", metavar="PATH_OR_URL")
    ing.add_argument("--no-progress", action="store_true", help="no progress bar")

    ask = sub.add_parser("ask", help="answer a question with cited passages")
    ask.add_argument("question", help='the question, or "-" to read one per line from stdin')
    ask.add_argument("--json", action="store_true", help="print JSON (one object per line)")
    ask.add_argument("-k", type=int, default=None, help="number of passages (default 5, max 8)")
    ask.add_argument("--since", help="only articles from this window: 7d, 24h, 2w, or a date")
    ask.add_argument("--near", metavar="PLACE", help="only passages near this place (any spelling)")
    ask.add_argument("--radius", type=float, metavar="KM", help="radius around the place in km")

    pl = sub.add_parser("places", help="show the place mentions found in a text")
    pl.add_argument("text", help='the text, or "-" to read it from stdin')
    pl.add_argument("--json", action="store_true", help="print JSON")

    gz = sub.add_parser("gazetteer", help="manage the gazetteer (GeoNames places)")
    gz_sub = gz.add_subparsers(dest="gazetteer_command", required=True, metavar="ACTION")
    gl = gz_sub.add_parser("load", help="add a GeoNames dump (UA.txt, allCountries.txt)")
    gl.add_argument("file", help="a GeoNames dump in its tab-separated format")
    gz_sub.add_parser("info", help="show the gazetteer's size and sources")

    wa = sub.add_parser("watch", help="watch a place for a chat, list or remove its watches")
    wa.add_argument("place", nargs="*", help="place [km] [keywords], as /watch takes them")
    wa.add_argument("--chat", type=int, required=True, help="the Telegram chat id")
    wa.add_argument("--remove", type=int, metavar="WATCH_ID", help="remove this watch")
    dg = sub.add_parser("digest", help="send a chat the digest it is owed now")
    dg.add_argument("--chat", type=int, required=True, help="the Telegram chat id")
    dg.add_argument(
        "--dry-run", action="store_true", help="print the digest; send nothing, mark nothing"
    )

    sub.add_parser("stats", help="show counts of articles, passages, sources, index size")
    rx = sub.add_parser("reindex", help="rebuild the vector index from the database")
    rx.add_argument("--reembed", action="store_true", help="embed every passage again")
    sub.add_parser(
        "run",
        help="run the Telegram bot (with no SITREP_TELEGRAM_TOKEN: on a local emulator, "
        "chatting in this terminal)",
    )
    sub.add_parser(
        "demo",
        help="the bot on the embedded emulator over the sample corpus, in a scripted chat",
    )
    return p


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None) -> int:
    """Run one command; returns the exit status (0 ok, 1 a failure Sitrep explained, 2 usage)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = Settings.load(data_dir=args.data_dir)
        level = logging.getLevelNamesMapping()[settings.log_level.upper()]
        logging.getLogger().setLevel(min(level, logging.INFO) if args.verbose else level)
        if args.command == "demo":
            from bot.demo import run_demo

            return run_demo(settings)
        app = build_app(settings)
        try:
            return _run(app, args, stdin or sys.stdin)
        finally:
            app.close()
    except SitrepError as exc:
        print(f"sitrep: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sitrep: interrupted", file=sys.stderr)
        return 130


def _run(app: App, args: argparse.Namespace, stdin: TextIO) -> int:
    if args.command == "ingest":
        report = ingest_with_progress(app, args.targets, show=not args.no_progress)
        print(as_text.report_text(report))
        return 0 if report.added or report.known or not report.failures else 1
    if args.command == "ask":
        since = parse_since(args.since, app.clock.now()) if args.since else None
        if args.question != "-":
            _print_answer(
                args,
                app.knowledge.ask(
                    args.question, k=args.k, since=since, near=args.near, radius_km=args.radius
                ),
            )
            return 0
        # A batch: every input line gets exactly one output line, an answer or its error.
        failed = False
        for line in stdin:
            question = line.strip()
            try:
                if not question:
                    raise QueryError("an empty line: no question")
                answer = app.knowledge.ask(
                    question, k=args.k, since=since, near=args.near, radius_km=args.radius
                )
            except SitrepError as exc:
                failed = failed or bool(question)  # an empty line is answered, not a failure
                if args.json:
                    error = {"question": question, "error": str(exc)}
                    print(json.dumps(error, ensure_ascii=False), flush=True)
                else:
                    print(f"Q: {question}\n   error: {exc}\n", flush=True)
                continue
            _print_answer(args, answer)
        return 1 if failed else 0
    if args.command == "places":
        text = stdin.read() if args.text == "-" else args.text
        mentions = find_places(
            text,
            app.places.gazetteer,
            app.places.hot_context(),
            app.settings.places_min_confidence,
        )
        if args.json:
            print(json.dumps(as_json.mentions_json(mentions), ensure_ascii=False))
        else:
            print(as_text.mentions_text(mentions))
        return 0
    if args.command == "gazetteer":
        if args.gazetteer_command == "load":
            added, reread = app.load_gazetteer_dump(Path(args.file))
            print(
                f"added {added} populated places from {args.file}; "
                f"re-read the places of {reread} stored articles"
            )
        else:
            gaz = app.places.gazetteer
            sources = ", ".join(str(p) for p in app.gazetteer_files.sources() if p.exists())
            print(
                f"{len(gaz)} places, scope {', '.join(gaz.scope)}; cache "
                f"{app.gazetteer_files.cache}; sources: {sources}"
            )
        return 0
    if args.command == "run":
        return run_bot(app)
    if args.command == "watch":
        return _watch(app, args)
    if args.command == "digest":
        return _digest(app, args)
    if args.command == "stats":
        print(as_text.stats_text(app.knowledge.stats(), str(app.settings.index_path)))
        return 0
    if args.command == "reindex":
        count = app.knowledge.reindex(reembed=args.reembed)
        print(f"rebuilt the vector index: {count} vectors in {app.settings.index_path}")
        return 0
    raise AssertionError(args.command)


def _print_answer(args: argparse.Namespace, answer: Answer) -> None:
    if args.json:
        print(json.dumps(as_json.answer_json(answer), ensure_ascii=False), flush=True)
    else:
        print(as_text.answer_text(answer) + "\n", flush=True)


def _watch(app: App, args: argparse.Namespace) -> int:
    now = app.clock.now()
    if args.remove is not None:
        removed = app.chats.remove_watch(args.chat, args.remove)
        if removed is None:
            raise QueryError(f"chat {args.chat} has no watch {args.remove}")
        print(f"removed watch {removed.id}: {removed.title}")
        return 0
    if args.place:
        outcome = app.watching.watch(args.chat, " ".join(args.place), now)
        if outcome.watch is None:
            options = outcome.candidates or outcome.suggestions
            hint = "; ".join(f"{p.label} (--near id {p.geonameid})" for p in options[:8])
            what = "is ambiguous" if outcome.candidates else "is unknown"
            raise QueryError(f"{outcome.request.place!r} {what}" + (f": {hint}" if hint else ""))
        w = outcome.watch
        print(f"watch {w.id}: {w.label} ({w.lat:.4f}, {w.lon:.4f}) within {w.radius_km:g} km")
    for w in app.chats.watches(args.chat):
        print(f"{w.id:>5}  {w.title} — {w.label}")
    return 0


def _digest(app: App, args: argparse.Namespace) -> int:
    service = Service(app)
    if args.dry_run:
        report = asyncio.run(service.digests.send_now(args.chat, dry_run=True))
        if report.digest is None or not report.digest.items:
            print(f"nothing pending for chat {args.chat}")
        else:
            print(as_text.digest_text(report.digest) + "\n")
        return 0
    if app.settings.telegram_token is None:
        raise SettingsError(
            "SITREP_TELEGRAM_TOKEN is not set: nothing can be sent (--dry-run prints the digest)"
        )
    from bot.telegram.app import send_digest  # the Telegram stack loads only when used

    report = asyncio.run(send_digest(service, app.settings, args.chat))
    print(
        f"chat {args.chat}: {report.status}, {report.items} passages in {report.messages} messages"
    )
    return 0 if report.status in (DeliveryStatus.SENT, DeliveryStatus.NOTHING_NEW) else 1


def run_bot(app: App) -> int:
    """The bot: on Telegram with a token, else on the embedded emulator with a local chat."""
    settings = app.settings
    if settings.telegram_token is None:
        from bot.demo import SAMPLE_CORPUS
        from bot.telegram.local import run_local

        if app.knowledge.store.passage_count() == 0:
            print(f"The index is empty: ingesting the sample corpus ({SAMPLE_CORPUS.name}).")
            print(as_text.report_text(app.ingest([str(SAMPLE_CORPUS)])))
        return run_local(app, settings)
    from bot.telegram.app import run  # the Telegram stack loads only when used

    run(Service(app), settings)
    return 0


def ingest_with_progress(app: App, targets: list[str], show: bool = True) -> IngestReport:
    """Ingest, with a progress bar over sources when stderr is a terminal."""
    if not (show and sys.stderr.isatty()):
        return app.ingest(targets)
    from tqdm import tqdm

    with tqdm(desc="ingesting", unit="source", file=sys.stderr) as bar:

        def advance(target: str, report: IngestReport) -> None:
            bar.update(1)
            bar.set_postfix(articles=report.added, passages=report.passages, refresh=False)

        return app.ingest(targets, on_source=advance)
