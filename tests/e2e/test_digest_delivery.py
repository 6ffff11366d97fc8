"""Digests through the real bot and the emulator: once, whatever Telegram and restarts do."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from botkit import TOKEN, bot_running, replies, service_of, shown, until

from bot.app import App, build_app
from bot.cli import main
from bot.demo import LATE_ARTICLE as LATE
from bot.emulator.server import BotApiEmulator
from bot.settings import Settings
from conftest import PROJECT, SAMPLE, LocalServer, Route, write_jsonl
from index.clock import ManualClock
from index.embeddings import HashEmbedder, SentenceTransformerEmbedder
from index.places.gazetteer import Gazetteer

pytestmark = pytest.mark.usefixtures("_timedelta_durations")

WORDS = "bridge school depot market clinic tower road field bakery station mine farm".split()
FAST = {"digest_tick_s": 0.2, "feeds_tick_s": 0.2}


def report(n: int, place: str = "Soledar") -> dict[str, object]:
    rng = random.Random(n)
    words = " ".join(rng.choice(WORDS) for _ in range(30))
    return {
        "url": f"https://wire.example/{n}",
        "title": f"Report {n}",
        "published": "2026-11-20T08:00:00Z",
        "source": "Wire",
        "text": f"Report {n} from {place}: damage to the {words}, officials said.",
    }


def ingest_elsewhere(app: App, gazetteer: Gazetteer, path: Path) -> None:
    """Ingest as another process would (say, cron running `sitrep ingest`): its own app."""
    other = build_app(
        app.settings, embedder=HashEmbedder, gazetteer=lambda: gazetteer, clock=app.clock
    )
    try:
        assert other.ingest([str(path)]).added
    finally:
        other.close()


def times_delivered(emulator: BotApiEmulator, chat_id: int, n: int) -> int:
    return sum(m.text.count(f'wire.example/{n}"') for m in emulator.bot_messages(chat_id))


async def test_digest_arrives_once_and_not_again_after_a_restart(
    fast_app: App, emulator: BotApiEmulator, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    async with bot_running(fast_app, emulator):
        emulator.user_says("/watch Bakhmut 20", chat_id=41, user_id=41)
        await replies(emulator, 41, 1)
        ingest_elsewhere(fast_app, gazetteer, write_jsonl(tmp_path / "a.jsonl", [report(1)]))
        emulator.user_says("/digest", chat_id=41, user_id=41)
        digest = (await replies(emulator, 41, 2))[1]
        assert "Soledar" in shown(digest) and "km from Bakhmut" in shown(digest)
        emulator.user_says("/digest", chat_id=41, user_id=41)
        assert "Nothing new" in shown((await replies(emulator, 41, 3))[2])
    settings = fast_app.settings
    fast_app.close()
    again = build_app(
        settings, embedder=HashEmbedder, gazetteer=lambda: gazetteer, clock=fast_app.clock
    )
    try:
        async with bot_running(again, emulator, **FAST) as application:
            again.chats.update_chat(41, instant=True)
            await service_of(application).digests.ticks.wait(3)
        assert times_delivered(emulator, 41, 1) == 1
    finally:
        again.close()


async def test_a_bot_killed_mid_digest_is_followed_by_the_next_within_two_ticks(
    fast_app: App, emulator: BotApiEmulator, tmp_path: Path
) -> None:
    """The bot killed (not stopped) while it owes instant digests: the next bot delivers
    each item within two ticks, exactly once."""
    now = fast_app.clock.now()
    for chat in (51, 52):
        fast_app.watching.watch(chat, "Bakhmut 20", now)
        fast_app.watching.settings(chat, now, instant=True)
    fast_app.ingest([str(write_jsonl(tmp_path / "h.jsonl", [report(51)]))])
    # One chat's digest reaches Telegram; the other's never does, and the bot is killed
    # while it waits for that answer, in the middle of its delivery run.
    swallowed = emulator.hold_next("sendMessage", skip=1)
    env = {
        **os.environ,
        "SITREP_TELEGRAM_TOKEN": TOKEN,
        "SITREP_TELEGRAM_API_URL": emulator.url,
        "SITREP_VECTOR_INDEX": "numpy",
        "SITREP_DIGEST_TICK_S": "0.2",
        "SITREP_FEEDS_TICK_S": "3600",
    }
    command = [sys.executable, "-m", "bot", "--data-dir", str(fast_app.settings.data_dir), "run"]
    log = tmp_path / "killed-bot.log"
    with log.open("wb") as out:
        child = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=out, stderr=out)
    try:
        arrived = await asyncio.to_thread(swallowed.wait, 60.0)  # a guard, not a wait for time
        assert arrived, log.read_text()
    finally:
        child.kill()
        child.wait()
    assert len(emulator.bot_messages()) == 1  # one chat has its digest, the other does not
    lease = fast_app.chats.db.one("SELECT value FROM meta WHERE key = 'digest_lease'")
    assert lease is not None and f"/{child.pid}/" in lease[0]  # the dead bot kept the lease

    # The next bot runs on the test's clock, which (any day after the suite's start date)
    # is before the dead bot's wall-clock lease runs out: only the proof that the dead
    # bot's process is gone lets the next bot send within two of its ticks.
    async with bot_running(fast_app, emulator, **FAST) as application:
        await service_of(application).digests.ticks.wait(2)
        assert [times_delivered(emulator, chat, 51) for chat in (51, 52)] == [1, 1]


async def test_a_feed_article_reaches_an_instant_chat_once(
    fast_app: App, emulator: BotApiEmulator, http_server: LocalServer, gazetteer: Gazetteer
) -> None:
    fast_app.close()  # this test's feed server is on 127.0.0.1: allow private addresses
    fast_app = build_app(
        fast_app.settings.replace(telegram_allow_private_urls=True),
        embedder=HashEmbedder,
        gazetteer=lambda: gazetteer,
        clock=fast_app.clock,
    )
    items = "".join(
        f"<item><title>Report {n}</title><link>https://wire.example/{n}</link>"
        f"<description>{report(n)['text']}</description>"
        "<pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate></item>"
        for n in (7,)
    )
    channel = f"<channel><title>Wire</title>{items}</channel>"
    rss = f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'
    http_server.routes["/rss"] = Route(rss.encode(), "application/rss+xml")
    async with bot_running(fast_app, emulator, admins=(42,), **FAST) as application:
        emulator.user_says("/watch Bakhmut 20", chat_id=42, user_id=42)
        emulator.user_says("/settings instant on", chat_id=42, user_id=42)
        await replies(emulator, 42, 2)
        emulator.user_says(f"/addfeed {http_server.url('/rss')}", chat_id=42, user_id=42)
        await until(lambda: times_delivered(emulator, 42, 7) == 1, 15)
        service = service_of(application)
        await service.feed_ticks.wait(2)  # more feed polls and digest ticks
        await service.digests.ticks.wait(2)
        assert times_delivered(emulator, 42, 7) == 1
        assert http_server.hits.count("/rss") >= 1
        emulator.user_says("/sources", chat_id=42, user_id=42)
        await until(lambda: "ok, 1 articles" in shown(emulator.bot_messages(42)[-1]))
    fast_app.close()


async def test_429s_and_a_500_still_deliver_exactly_once(
    fast_app: App, emulator: BotApiEmulator, tmp_path: Path
) -> None:
    async with bot_running(fast_app, emulator, **FAST) as application:
        emulator.user_says("/watch Bakhmut 20", chat_id=43, user_id=43)
        emulator.user_says("/settings instant on", chat_id=43, user_id=43)
        await replies(emulator, 43, 2)
        # More 429s than the rate limiter retries, then a server error.
        emulator.fail_next("sendMessage", times=4, code=429, retry_after=1)
        emulator.fail_next("sendMessage", times=1, code=500)
        fast_app.ingest([str(write_jsonl(tmp_path / "b.jsonl", [report(n) for n in (11, 12)]))])
        await until(lambda: times_delivered(emulator, 43, 11) >= 1, 30)
        await service_of(application).digests.ticks.wait(3)
        assert times_delivered(emulator, 43, 11) == 1 and times_delivered(emulator, 43, 12) == 1


async def test_a_blocked_chat_is_paused(
    fast_app: App, emulator: BotApiEmulator, tmp_path: Path
) -> None:
    async with bot_running(fast_app, emulator, **FAST) as application:
        emulator.user_says("/watch Bakhmut 20", chat_id=44, user_id=44)
        emulator.user_says("/settings instant on", chat_id=44, user_id=44)
        await replies(emulator, 44, 2)
        emulator.block(44)
        fast_app.ingest([str(write_jsonl(tmp_path / "c.jsonl", [report(21)]))])
        await until(lambda: (fast_app.chats.get_chat(44) or object()).blocked, 10)  # type: ignore[attr-defined]
        attempts = emulator.calls.count("sendMessage")
        fast_app.ingest([str(write_jsonl(tmp_path / "d.jsonl", [report(22)]))])
        await service_of(application).digests.ticks.wait(3)
        assert emulator.calls.count("sendMessage") == attempts  # not retried forever


async def test_instant_mode_batches_a_burst(
    fast_app: App, emulator: BotApiEmulator, tmp_path: Path
) -> None:
    async with bot_running(fast_app, emulator, **FAST):
        emulator.user_says("/watch Bakhmut 20", chat_id=45, user_id=45)
        emulator.user_says("/settings instant on", chat_id=45, user_id=45)
        await replies(emulator, 45, 2)
        burst = [report(n) for n in range(100, 130)]
        fast_app.ingest([str(write_jsonl(tmp_path / "e.jsonl", burst))])
        await until(lambda: all(times_delivered(emulator, 45, n) for n in range(100, 130)), 20)
        digests = emulator.bot_messages(45)[2:]
        assert 1 <= len(digests) <= 3, [len(m.text) for m in digests]
        assert all(times_delivered(emulator, 45, n) == 1 for n in range(100, 130))


async def test_a_migrated_group_keeps_its_watches(
    fast_app: App, emulator: BotApiEmulator, tmp_path: Path
) -> None:
    async with bot_running(fast_app, emulator, **FAST):
        emulator.user_says("/watch Bakhmut 20", chat_id=-46, user_id=46, kind="group")
        emulator.user_says("/settings instant on", chat_id=-46, user_id=46, kind="group")
        await replies(emulator, -46, 2)
        emulator.migrate(-46, -100046)
        fast_app.ingest([str(write_jsonl(tmp_path / "f.jsonl", [report(31)]))])
        await until(lambda: times_delivered(emulator, -100046, 31) == 1, 15)
        assert [w.name for w in fast_app.chats.watches(-100046)] == ["Bakhmut"]


@pytest.mark.slow
async def test_an_article_ingested_by_the_cli_reaches_the_watching_chat_once(
    settings: Settings,
    real_model: SentenceTransformerEmbedder,
    gazetteer: Gazetteer,
    emulator: BotApiEmulator,
    clock: ManualClock,
) -> None:
    app = build_app(settings, gazetteer=lambda: gazetteer, clock=clock)  # the real model, FAISS
    try:
        app.ingest([str(SAMPLE)])
        async with bot_running(app, emulator, **FAST) as application:
            emulator.user_says("/watch Bajmut 15", chat_id=47, user_id=47)
            emulator.user_says("/settings instant on", chat_id=47, user_id=47)
            await replies(emulator, 47, 2)
            # Another process: `sitrep ingest` on the same data directory, as cron would run it.
            args = ["--data-dir", str(settings.data_dir), "ingest", "--no-progress", str(LATE)]
            assert await asyncio.to_thread(main, args) == 0
            await until(lambda: len(emulator.bot_messages(47)) == 3, 20)
            await service_of(application).digests.ticks.wait(3)
            [digest] = emulator.bot_messages(47)[2:]
            assert "Khromove" in shown(digest) and "km from Bakhmut" in shown(digest)
    finally:
        app.close()


@pytest.mark.parametrize(
    "day",
    [date(2026, 12, 1), date(2027, 7, 14), date(2027, 3, 27)],
    ids=["winter", "summer", "the day before clocks go forward"],
)
async def test_the_daily_digest_comes_at_the_chats_time_once(
    settings: Settings,
    gazetteer: Gazetteer,
    emulator: BotApiEmulator,
    tmp_path: Path,
    day: date,
) -> None:
    kyiv = ZoneInfo("Europe/Kyiv")

    def at(when: date, hour: int, minute: int, second: int = 0) -> datetime:
        """A wall-clock time in Kyiv, whatever its offset from UTC that day."""
        return datetime.combine(when, time(hour, minute, second), kyiv).astimezone(UTC)

    clock = ManualClock(at(day, 8, 0))
    app = build_app(
        settings.replace(vector_index="numpy", ask_threshold=0.2),
        embedder=HashEmbedder,
        gazetteer=lambda: gazetteer,
        clock=clock,
    )
    try:
        async with bot_running(app, emulator, **FAST) as application:
            ticks = service_of(application).digests.ticks
            emulator.user_says("/watch Bakhmut 20", chat_id=48, user_id=48)
            emulator.user_says("/settings time 09:00", chat_id=48, user_id=48)
            emulator.user_says("/settings tz Europe/Kyiv", chat_id=48, user_id=48)
            await replies(emulator, 48, 3)
            app.ingest([str(write_jsonl(tmp_path / "g.jsonl", [report(41)]))])
            clock.set(at(day, 8, 59))
            await ticks.wait(3)  # ticks before 09:00 in Kyiv: nothing yet
            assert len(emulator.bot_messages(48)) == 3
            clock.set(at(day, 9, 0, 30))
            await until(lambda: times_delivered(emulator, 48, 41) == 1)
            clock.set(at(day, 9, 30))
            await ticks.wait(3)  # more ticks the same day: nothing more
            clock.set(at(day + timedelta(days=1), 9, 0, 30))
            await ticks.wait(3)  # the next day's time, nothing new: no message
            assert len(emulator.bot_messages(48)) == 4
    finally:
        app.close()
