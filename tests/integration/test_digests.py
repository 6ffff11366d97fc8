"""Watch -> ingest -> digest through the application, with a scripted notifier: every item
arrives once, across failures, restarts, blocked and migrated chats."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.digests.delivery import Digests, Outgoing
from bot.domain.digests import Digest
from bot.errors import ChatBlocked, ChatMoved, SendFailed, SendRefused
from bot.render.html import digest_messages
from bot.render.text import digest_text
from conftest import START, write_jsonl
from index.clock import ManualClock
from index.embeddings import HashEmbedder
from index.places.gazetteer import Gazetteer


class ScriptedNotifier:
    """Accepts messages, or fails as scripted: a list of exceptions used up in order."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []
        self.failures: list[Exception | None] = []

    def compose(self, digest: Digest) -> list[Outgoing]:
        return [Outgoing(text, tuple(ids)) for text, ids in digest_messages(digest)]

    async def send(self, chat_id: int, message: Outgoing) -> int:
        if self.failures:
            failure = self.failures.pop(0)
            if failure is not None:
                raise failure
        self.sent.append((chat_id, message.body))
        return len(self.sent)

    def texts(self, chat_id: int) -> str:
        return "\n".join(text for cid, text in self.sent if cid == chat_id)


def article(n: int, text: str, source: str = "Outlet") -> dict[str, object]:
    return {
        "url": f"https://news.example/{n}",
        "title": f"Report {n}",
        "published": f"2026-11-{10 + n % 10:02d}T09:00:00Z",
        "source": source,
        "text": text,
    }


SOLEDAR = (
    "Overnight shelling damaged the water station in Soledar, the regional administration "
    "said on Tuesday. Crews from Kramatorsk were sent to restore the supply; residents were "
    "asked to keep water in reserve for several days."
)
KUPIANSK = (
    "In Kupiansk, a drone hit a warehouse near the railway station, officials said. No one "
    "was hurt. Repairs of the power line to the district are expected to take a week."
)
ODESA = (
    "The port of Odesa handled more grain this month than last, the port authority said, "
    "despite repeated air raid alerts along the coast."
)


WORDS = (
    "bridge school depot market clinic tower road field bakery station mine farm hospital "
    "church stadium library garage warehouse pipeline substation factory dormitory kiosk"
).split()


def distinct_report(n: int, place: str) -> str:
    """A report about ``place`` that shares no long phrase with the other numbered reports."""
    rng = random.Random(n)
    words = " ".join(rng.choice(WORDS) for _ in range(40))
    return f"Report {n} from {place}: damage to the {words}, officials said."


@pytest.fixture
def notifier() -> ScriptedNotifier:
    return ScriptedNotifier()


@pytest.fixture
def digests(fast_app: App, notifier: ScriptedNotifier) -> Digests:
    return Digests(fast_app.chats, fast_app.knowledge.store, notifier, clock=fast_app.clock)


def ingest(app: App, tmp_path: Path, *records: dict[str, object]) -> None:
    path = write_jsonl(tmp_path / f"batch{len(list(tmp_path.iterdir()))}.jsonl", list(records))
    report = app.ingest([str(path)])
    assert report.added == len(records), report


async def test_a_nearby_village_arrives_once(
    fast_app: App, digests: Digests, notifier: ScriptedNotifier, tmp_path: Path
) -> None:
    ingest(fast_app, tmp_path, article(1, SOLEDAR))  # before the watch: not reported
    outcome = fast_app.watching.watch(7, "Bakhmut 20", fast_app.clock.now())
    assert outcome.watch is not None and outcome.watch.name == "Bakhmut"
    ingest(
        fast_app, tmp_path, article(2, SOLEDAR.replace("Tuesday", "Wednesday")), article(3, ODESA)
    )
    report = await digests.send_now(7)
    assert report.status == "sent" and report.messages == 1
    text = notifier.texts(7)
    assert "Soledar" in text and "km from Bakhmut" in text and "news.example/2" in text
    assert "news.example/1" not in text and "Odesa" not in text
    assert (await digests.send_now(7)).status == "nothing new"
    assert len(notifier.sent) == 1


async def test_failures_midway_lose_nothing_and_repeat_nothing(
    fast_app: App, digests: Digests, notifier: ScriptedNotifier, tmp_path: Path
) -> None:
    fast_app.watching.watch(8, "Kupiansk 20", fast_app.clock.now())
    records = [article(n, distinct_report(n, "Kupiansk")) for n in range(1, 31)]
    ingest(fast_app, tmp_path, *records)
    digest, _ = digests.pending([fast_app.chats.get_chat(8)])  # type: ignore[list-item]
    assert len(digest[8].items) >= 2
    # The first message goes out, then a 429 that outlived the rate limiter's retries.
    notifier.failures = [None, SendFailed("429 Too Many Requests")]
    first = await digests.send_now(8)
    assert first.status == "failed" and first.messages == 1
    notifier.failures = [SendFailed("500 Internal Server Error")]
    assert (await digests.send_now(8)).status == "failed"
    done = await digests.send_now(8)
    assert done.status == "sent"
    delivered = [u for n in range(1, 31) if (u := f'news.example/{n}"') in notifier.texts(8)]
    assert len(delivered) == 30
    for n in range(1, 31):
        assert notifier.texts(8).count(f'news.example/{n}"') == 1, n
    assert (await digests.send_now(8)).status == "nothing new"


async def test_a_restart_does_not_send_again(
    fast_app: App, settings_dir: Path, gazetteer: Gazetteer, tmp_path: Path
) -> None:
    first = ScriptedNotifier()
    fast_app.watching.watch(9, "Bakhmut 20", fast_app.clock.now())
    ingest(fast_app, tmp_path, article(4, SOLEDAR))
    digests = Digests(fast_app.chats, fast_app.knowledge.store, first, fast_app.clock)
    assert (await digests.send_now(9)).items
    fast_app.close()
    again = build_app(
        fast_app.settings, embedder=HashEmbedder, gazetteer=lambda: gazetteer, clock=fast_app.clock
    )
    try:
        second = ScriptedNotifier()
        assert [w.name for w in again.chats.watches(9)] == ["Bakhmut"]
        report = await Digests(again.chats, again.knowledge.store, second, again.clock).send_now(9)
        assert report.status == "nothing new" and second.sent == []
    finally:
        again.close()


async def test_a_blocked_chat_is_paused_and_a_moved_group_keeps_its_watches(
    fast_app: App, digests: Digests, notifier: ScriptedNotifier, tmp_path: Path
) -> None:
    fast_app.watching.watch(-10, "Bakhmut 20", fast_app.clock.now())
    fast_app.watching.watch(11, "Bakhmut 20", fast_app.clock.now())
    fast_app.watching.settings(-10, fast_app.clock.now(), instant=True)
    fast_app.watching.settings(11, fast_app.clock.now(), instant=True)
    ingest(fast_app, tmp_path, article(5, SOLEDAR))
    notifier.failures = [ChatMoved(-1000010), ChatBlocked("Forbidden: bot was blocked")]
    reports = {r.chat_id: r for r in await digests.tick()}
    assert reports[-1000010].status == "moved"  # sent on the next tick, from the database
    assert [w.name for w in fast_app.chats.watches(-1000010)] == ["Bakhmut"]
    assert fast_app.chats.watches(-10) == []
    assert reports[11].status == "blocked"
    assert [c.chat_id for c in fast_app.chats.chats_with_watches()] == [-1000010]
    assert [(r.chat_id, r.status) for r in await digests.tick()] == [(-1000010, "sent")]
    assert "news.example/5" in notifier.texts(-1000010)
    ingest(fast_app, tmp_path, article(6, SOLEDAR.replace("Tuesday", "Friday")))
    assert [r.chat_id for r in await digests.tick()] == [-1000010]  # 11 is not retried


async def test_dry_run_marks_nothing(
    fast_app: App, digests: Digests, notifier: ScriptedNotifier, tmp_path: Path
) -> None:
    fast_app.watching.watch(12, "Bakhmut 20", fast_app.clock.now())
    ingest(fast_app, tmp_path, article(7, SOLEDAR))
    dry = await digests.send_now(12, dry_run=True)
    assert dry.status == "dry run" and dry.digest is not None and notifier.sent == []
    assert "Soledar" in digest_text(dry.digest)
    assert (await digests.send_now(12)).status == "sent"


@pytest.fixture
def settings_dir(fast_app: App) -> Iterator[Path]:
    yield fast_app.settings.data_dir


async def test_migrating_into_a_known_chat_merges_without_loss_or_repeat(
    fast_app: App, digests: Digests, notifier: ScriptedNotifier, tmp_path: Path
) -> None:
    old, new = -20, -1000020
    fast_app.watching.watch(old, "Bakhmut 20", fast_app.clock.now())
    fast_app.watching.settings(old, fast_app.clock.now(), instant=True, timezone="Europe/Kyiv")
    ingest(fast_app, tmp_path, *[article(n, distinct_report(n, "Soledar")) for n in range(1, 9)])
    # The supergroup wrote to the bot after those articles: its own position is past them.
    fast_app.watching.watch(new, "Bakhmut 20", fast_app.clock.now())
    fast_app.watching.settings(new, fast_app.clock.now(), instant=True)
    notifier.failures = [ChatMoved(new)]
    await digests.tick()
    merged = fast_app.chats.get_chat(new)
    assert merged is not None and merged.timezone == "Europe/Kyiv" and merged.instant
    assert [w.name for w in fast_app.chats.watches(new)] == ["Bakhmut"]  # not twice
    await digests.tick()
    await digests.tick()
    for n in range(1, 9):
        assert notifier.texts(new).count(f'news.example/{n}"') == 1, n
    assert notifier.texts(old) == ""


async def test_a_refused_message_does_not_stall_the_chat(
    fast_app: App, digests: Digests, notifier: ScriptedNotifier, tmp_path: Path
) -> None:
    fast_app.watching.watch(21, "Bakhmut 20", fast_app.clock.now())
    ingest(fast_app, tmp_path, article(1, SOLEDAR))
    notifier.failures = [SendRefused("Bad Request: message is too long")]
    report = await digests.send_now(21)
    assert report.status == "sent" and report.messages == 0
    ingest(fast_app, tmp_path, article(2, SOLEDAR.replace("Tuesday", "Sunday")))
    assert (await digests.send_now(21)).messages == 1
    assert "news.example/2" in notifier.texts(21)


async def test_one_chats_failure_does_not_hold_back_the_others_nor_the_allow_list(
    fast_app: App, notifier: ScriptedNotifier, tmp_path: Path
) -> None:
    digests = Digests(
        fast_app.chats,
        fast_app.knowledge.store,
        notifier,
        fast_app.clock,
        allowed=lambda c: c != 24,
    )
    for chat in (22, 23, 24):
        fast_app.watching.watch(chat, "Bakhmut 20", fast_app.clock.now())
        fast_app.watching.settings(chat, fast_app.clock.now(), instant=True)
    ingest(fast_app, tmp_path, article(1, SOLEDAR))
    notifier.failures = [RuntimeError("a bug in one chat's path")]
    reports = {r.chat_id: r.status for r in await digests.tick()}
    assert reports == {22: "failed", 23: "sent"}  # 24 is off the allow-list
    assert {r.chat_id: r.status for r in await digests.tick()} == {22: "sent", 23: "nothing new"}


def test_a_story_from_many_outlets_stays_one_bounded_line() -> None:
    from bot.render.html import also_reported
    from index.models import Citation, Passage, StoredArticle

    copies = tuple(
        Citation(
            StoredArticle(n, f"https://o{n}.example/x", f"T{n}", None, f"Outlet {n}", START),
            Passage(n, n, 0, 1, "x"),
        )
        for n in range(40)
    )
    line = also_reported(copies)
    assert line.count("<a href") == 5 and line.endswith("and 35 more")


async def test_two_processes_never_send_digests_at_once(
    fast_app: App, digests: Digests, notifier: ScriptedNotifier, tmp_path: Path
) -> None:
    fast_app.watching.watch(25, "Bakhmut 20", fast_app.clock.now())
    fast_app.watching.settings(25, fast_app.clock.now(), instant=True)
    ingest(fast_app, tmp_path, article(1, SOLEDAR))
    other = "the running bot"
    assert fast_app.chats.take_lease(other, fast_app.clock.now(), timedelta(minutes=10))
    assert await digests.tick() == []
    with pytest.raises(SendFailed, match="another Sitrep process"):
        await digests.send_now(25)
    assert (await digests.send_now(25, dry_run=True)).status == "dry run"
    fast_app.chats.release_lease(other)
    assert [r.status for r in await digests.tick()] == ["sent"]
    # A holder that died: its lease runs out.
    assert fast_app.chats.take_lease(
        other, fast_app.clock.now() - timedelta(hours=1), timedelta(minutes=10)
    )
    assert [r.status for r in await digests.tick()] == ["nothing new"]


class StalledNotifier(ScriptedNotifier):
    """Its first send hangs until ``resume`` is set, then fails as a request that never
    reached Telegram: a process frozen (or dying) in the middle of a delivery run."""

    def __init__(self) -> None:
        super().__init__()
        self.stalled = asyncio.Event()
        self.resume = asyncio.Event()

    async def send(self, chat_id: int, message: Outgoing) -> int:
        if not self.stalled.is_set():
            self.stalled.set()
            await self.resume.wait()
            raise SendFailed("timed out")
        return await super().send(chat_id, message)


TICK = timedelta(seconds=60)  # the default digest tick (`digest_tick_s`)


async def test_a_stalled_holders_lease_passes_on_within_two_ticks_and_it_sends_no_more(
    fast_app: App, notifier: ScriptedNotifier, clock: ManualClock, tmp_path: Path
) -> None:
    for chat in (26, 27):
        fast_app.watching.watch(chat, "Bakhmut 20", clock.now())
        fast_app.watching.settings(chat, clock.now(), instant=True)
    ingest(fast_app, tmp_path, article(1, SOLEDAR))
    stalled = StalledNotifier()
    first = Digests(fast_app.chats, fast_app.knowledge.store, stalled, clock)
    run = asyncio.create_task(first.tick())
    await stalled.stalled.wait()  # the first holds the lease in the middle of its run
    second = Digests(fast_app.chats, fast_app.knowledge.store, notifier, clock)
    assert await second.tick() == []  # never two senders at once
    clock.advance(2 * TICK)
    reports = await second.tick()
    assert sorted((r.chat_id, r.status) for r in reports) == [(26, "sent"), (27, "sent")]
    stalled.resume.set()  # the first wakes up without its lease: it sends nothing more
    await run
    assert stalled.sent == []
    for chat in (26, 27):
        assert notifier.texts(chat).count('news.example/1"') == 1
