"""Reply latency of the running bot, message to reply, many chats at once, through the emulator.

    python bench/bot_latency.py                          # 200 questions from 20 chats, burst
    python bench/bot_latency.py --mode conversation      # each chat waits for its replies
    python bench/bot_latency.py --mode both --corpus big.jsonl --synthetic 2000
    python bench/bot_latency.py --quick                  # a smoke run: 20 questions, 4 chats

The real stack in one process: ``build_app`` with the bundled all-MiniLM-L6-v2 and FAISS on
a temporary data directory holding the sample corpus (plus ``--corpus`` JSONL files and
``--synthetic`` generated articles), python-telegram-bot polling the local Bot API emulator,
the digest and feed jobs pushed an hour away. Questions (place names in several spellings,
/near and /ask, topics, an ambiguous and an unknown place) are cycled to ``--questions`` and
spread over ``--chats`` private chats (ids 1000...):

  burst         every question is pushed at once, as the issue asks;
  conversation  every chat starts at once and asks its next question when its reply arrives.

A question's latency runs from just before the emulator receives it to when the emulator
accepts the bot's first message in that chat after it (``Message.sent_at``; the k-th bot
message in a chat answers its k-th question, "typing" is a chat action, not a message).
One chat's questions are handled in the order they came (other chats' meanwhile), so
matching by order is exact. The
emulator runs in the same process: its work shares the cores (and the GIL) with the bot's.
Three questions warm the bot up first and are not counted. The baseline, in the same run:
the same questions through ``app.knowledge.ask`` in process, one after another. The bot's
rate limiter lets 30 calls with a chat id a second through, "typing" included: the floor
that sets on a run is printed with it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.settings import Settings, apply_telegram_env  # noqa: E402

apply_telegram_env()  # before telegram is imported: durations as timedelta

from bench.corpus import articles  # noqa: E402
from bot.app import App, build_app  # noqa: E402
from bot.demo import SAMPLE_CORPUS  # noqa: E402
from bot.emulator import server as emulator_module  # noqa: E402
from bot.emulator.api import Message  # noqa: E402
from bot.emulator.markup import plain_text  # noqa: E402
from bot.emulator.server import BotApiEmulator  # noqa: E402
from bot.telegram.local import bot_on  # noqa: E402

TOKEN = "123456:BENCH-TOKEN-VALUE"
FIRST_CHAT = 1000
WARMUP_CHAT = 999
POLL_S = 0.005
# AIORateLimiter's overall default (Telegram's 30 messages a second), for every call with a
# chat id; this script stays off ``telegram`` itself (TID251).
CHAT_CALLS_PER_S = 30
SETTLE_S = 1.5
QUESTIONS = (
    "what happened near Seversk?",
    "/near Bakhmut 20",
    "shelling in Bajmut",
    "news from Kharkov",
    "what happened near Síversk?",
    "/ask drone attacks on Moscow",
    "evacuation of families",
    "grain exports from the port",
    "what happened near Tokmak?",
    "what happened near Fedorivka?",
    "volcanic eruption in Iceland",
    "what happened near Zzyzxville?",
    "/near Kupiansk 30",
    "power cut after a missile strike",
    "/near Odesa",
    "glide bombs on civilians",
    "what is going on in Zaporizhzhia?",
    "flooding in Kherson",
    "/ask fighting around Chasiv Yar",
    "Сіверськ обстріли",
)
WARMUP = ("what happened near Kramatorsk?", "/near Soledar 10", "drones over Belgorod")


def as_asked(text: str) -> str:
    """The question the bot's handlers pass to ``ask`` for a message (handlers/ask.py)."""
    if text.startswith("/ask"):
        return text.removeprefix("/ask").strip()
    if text.startswith("/near"):
        words = text.split()[1:]
        radius = f" within {words[-1]} km" if len(words) > 1 and words[-1].isdigit() else ""
        place = " ".join(words[:-1] if radius else words)
        return f"what happened near {place}{radius}"
    return text


def workload(count: int, chats: int) -> list[tuple[int, str]]:
    """(chat id, text) in sending order: round robin over chats, each chat walking the list
    from its own offset, so that one round asks different questions in different chats and
    a few chats still cover the whole list."""
    step = max(1, len(QUESTIONS) // chats)
    out = []
    for i in range(count):
        chat, turn = i % chats, i // chats
        out.append((FIRST_CHAT + chat, QUESTIONS[(chat * step + turn) % len(QUESTIONS)]))
    return out


def start_emulator(backlog: int) -> BotApiEmulator:
    """The emulator, serving with room for ``backlog`` connections waiting to be accepted.

    It speaks HTTP/1.0 (a connection per call); with socketserver's default backlog of 5,
    twenty chats answered at once overflowed it, and the kernel's dropped connections came
    back after a 1 s SYN retry or failed. The emulator now keeps 128; ``--backlog 5`` shows
    the old behaviour.
    """
    emulator = BotApiEmulator()
    server_class = emulator_module._Server
    default = server_class.request_queue_size
    server_class.request_queue_size = backlog
    try:
        return emulator.start()
    finally:
        server_class.request_queue_size = default


class Inbox:
    """The bot's messages by chat; one scan of the emulator serves every waiting chat."""

    def __init__(self, emulator: BotApiEmulator) -> None:
        self.emulator = emulator
        self._by_chat: dict[int, list[Message]] = {}
        self._scanned = -1.0

    def of(self, chat_id: int) -> list[Message]:
        """The bot's messages in a chat, oldest first, at most POLL_S old."""
        now = time.monotonic()
        if now - self._scanned >= POLL_S:
            by_chat: dict[int, list[Message]] = {}
            for m in self.emulator.bot_messages():
                by_chat.setdefault(m.chat_id, []).append(m)
            self._by_chat, self._scanned = by_chat, now
        return self._by_chat.get(chat_id, [])

    async def wait(self, want: dict[int, int], deadline: float) -> bool:
        """Wait until each chat holds its wanted number of bot messages; False at ``deadline``."""
        while not all(len(self.of(chat)) >= n for chat, n in want.items()):
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(POLL_S)
        return True


@dataclass
class Run:
    """What one mode measured."""

    mode: str
    chats: int
    latencies: list[float] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0
    missing: int = 0
    failed: int = 0
    calls: Counter[str] = field(default_factory=Counter)


async def drive(
    emulator: BotApiEmulator, mode: str, work: list[tuple[int, str]], chats: int, timeout: float
) -> Run:
    """Send ``work`` as ``mode`` says and time every reply."""
    inbox = Inbox(emulator)
    before = {chat: len(inbox.of(chat)) for chat, _ in work}
    sent: dict[int, list[float]] = {chat: [] for chat in before}
    calls_before = Counter(emulator.calls)
    run = Run(mode, chats, started=time.monotonic())
    deadline = run.started + timeout

    def say(chat: int, text: str) -> None:
        sent[chat].append(time.monotonic())
        emulator.user_says(text, chat_id=chat, user_id=chat)

    if mode == "burst":
        for chat, text in work:
            say(chat, text)
        await inbox.wait({c: before[c] + len(sent[c]) for c in sent}, deadline)
    else:

        async def converse(chat: int, texts: list[str]) -> None:
            for text in texts:
                say(chat, text)
                if not await inbox.wait({chat: before[chat] + len(sent[chat])}, deadline):
                    return

        by_chat: dict[int, list[str]] = {chat: [] for chat in before}
        for chat, text in work:
            by_chat[chat].append(text)
        await asyncio.gather(*(converse(chat, texts) for chat, texts in by_chat.items()))
    for chat, times in sent.items():
        answers = inbox.of(chat)[before[chat] :]
        for t0, reply in zip(times, answers, strict=False):
            run.latencies.append(reply.sent_at - t0)
            run.finished = max(run.finished, reply.sent_at)
            shown = plain_text(reply.text, reply.parse_mode)
            run.failed += shown.startswith("Sorry, something went wrong")
        run.missing += max(0, len(times) - len(answers))
    run.calls = Counter(emulator.calls) - calls_before
    return run


async def bot_runs(
    app: App,
    modes: list[str],
    work: list[tuple[int, str]],
    chats: int,
    timeout: float,
    backlog: int,
) -> list[Run]:
    """Start the emulator and the bot (polling), warm up, run each mode, stop cleanly."""
    emulator = start_emulator(backlog)
    try:
        app.settings = app.settings.replace(telegram_api_url=emulator.url)
        async with bot_on(app, app.settings, emulator, TOKEN):
            inbox = Inbox(emulator)
            for n, text in enumerate(WARMUP, start=1):
                emulator.user_says(text, chat_id=WARMUP_CHAT, user_id=WARMUP_CHAT)
                if not await inbox.wait({WARMUP_CHAT: n}, time.monotonic() + timeout):
                    raise SystemExit("the bot did not answer the warm-up questions")
            runs = []
            for mode in modes:
                # the rate limiter's bucket, filled by what came before, drains in 1 s
                await asyncio.sleep(SETTLE_S)
                runs.append(await drive(emulator, mode, work, chats, timeout))
            return runs
    finally:
        emulator.stop()


def direct(app: App, work: list[tuple[int, str]]) -> tuple[list[float], float, int]:
    """The baseline: every question through ``knowledge.ask`` in process, one at a time;
    returns the latencies, the elapsed time and how many answers had passages."""
    k = app.settings.ask_max_k
    for text in WARMUP:
        app.knowledge.ask(as_asked(text), k)
    latencies, answered = [], 0
    started = time.perf_counter()
    for _, text in work:
        t = time.perf_counter()
        answer = app.knowledge.ask(as_asked(text), k)
        latencies.append(time.perf_counter() - t)
        answered += bool(answer.hits)
    return latencies, time.perf_counter() - started, answered


def row(name: str, questions: int, chats: str, ms: np.ndarray, rate: float) -> str:
    """One line of the results table."""
    p50, p95, p99 = np.percentile(ms, [50, 95, 99]) if len(ms) else (np.nan,) * 3
    top = ms.max() if len(ms) else np.nan
    return (
        f"{name:<18} {questions:>9} {chats:>5} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} "
        f"{top:>8.1f} {rate:>11.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--chats", type=int, default=20)
    parser.add_argument("--mode", choices=("burst", "conversation", "both"), default="burst")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20 questions, 4 chats")
    parser.add_argument("--corpus", type=Path, nargs="*", default=[], help="more JSONL to ingest")
    parser.add_argument("--synthetic", type=int, default=0, help="also ingest N generated articles")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait per mode")
    parser.add_argument(
        "--backlog", type=int, default=128, help="the emulator's listen backlog (its own: 128)"
    )
    args = parser.parse_args()
    if args.quick:
        args.questions, args.chats = 20, 4
    if args.questions < 1 or args.chats < 1:
        parser.error("--questions and --chats must be positive")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    modes = ["burst", "conversation"] if args.mode == "both" else [args.mode]
    work = workload(args.questions, args.chats)
    tmp = Path(tempfile.mkdtemp(prefix="sitrep-bench-"))
    try:
        settings = Settings.load(
            env={},
            data_dir=tmp / "data",
            digest_tick_s=3600,
            feeds_tick_s=3600,
            feeds_file=tmp / "no-feeds.toml",
        )
        app = build_app(settings)
        try:
            sources = [str(SAMPLE_CORPUS), *map(str, args.corpus)]
            if args.synthetic:
                generated = tmp / "synthetic.jsonl"
                records = articles(args.synthetic, seed=5, paragraphs=3)
                generated.write_text(
                    "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
                )
                sources.append(str(generated))
            t = time.perf_counter()
            report = app.ingest(sources)
            ingest_s = time.perf_counter() - t
            if report.failures:
                raise SystemExit(f"ingest failed: {report.failures}")
            base, base_s, answered = direct(app, work)
            rss_direct = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            runs = asyncio.run(bot_runs(app, modes, work, args.chats, args.timeout, args.backlog))
            passages = app.knowledge.store.passage_count()
        finally:
            app.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(
        f"reply latency, message to reply, through the Bot API emulator: {passages} passages "
        f"(ingested in {ingest_s:.1f} s), real model + FAISS, {os.cpu_count()} cores"
    )
    print(
        f"{len({text for _, text in work})} distinct questions cycled to {args.questions} "
        f"from {args.chats} chats, emulator backlog {args.backlog}; "
        f"baseline answered {answered}/{len(base)} with passages"
    )
    print(
        f"{'':<18} {'questions':>9} {'chats':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8} {'questions/s':>11}"
    )
    base_ms = np.array(base) * 1000
    print(row("direct ask (seq.)", len(base), "-", base_ms, len(base) / base_s))
    for run in runs:
        ms = np.array(run.latencies) * 1000
        rate = len(ms) / (run.finished - run.started) if len(ms) else 0.0
        print(row(f"bot {run.mode}", len(ms), str(run.chats), ms, rate))
    for run in runs:
        ms = np.array(run.latencies) * 1000
        if not len(ms):
            print(f"bot {run.mode}: no replies")
            continue
        elapsed = run.finished - run.started
        per_s = CHAT_CALLS_PER_S
        # Telegram's limit is on messages; "typing" bypasses the bot's rate limiter.
        floor = max(0, run.calls["sendMessage"] - per_s) / per_s
        print(
            f"bot {run.mode}: p50 / direct p50 {np.median(ms) / np.median(base_ms):.2f}, "
            f"throughput / direct {len(ms) / elapsed / (len(base) / base_s):.2f}; "
            f"API calls: {', '.join(f'{m} {n}' for m, n in sorted(run.calls.items()))}; "
            f"at {per_s} messages/s (Telegram's limit, kept by the rate limiter; the first "
            f"{per_s} go at once) the replies need {floor:.2f} s of the {elapsed:.2f} s"
        )
        if run.missing or run.failed:
            print(f"bot {run.mode}: {run.missing} replies missing, {run.failed} internal errors")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MB (after the baseline, before the bot: {rss_direct:.0f} MB)")


if __name__ == "__main__":
    main()
