"""A simulated user talks to the real bot stack over the emulator: paging, place buttons,
watches, settings, groups, access, and a restart."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from botkit import bot_running, buttons, replies, shown, until

from bot.app import App, build_app
from bot.emulator.server import BotApiEmulator
from conftest import LocalServer, Route, sample_records, write_jsonl
from index.embeddings import HashEmbedder
from index.places.gazetteer import Gazetteer

pytestmark = pytest.mark.usefixtures("_timedelta_durations")

WORDS = "bridge school depot market clinic tower road field bakery station mine farm".split()


def soledar_reports(count: int) -> list[dict[str, object]]:
    """Distinct reports that all name Soledar (no two fold as one story)."""
    out = []
    for n in range(count):
        rng = random.Random(n)
        words = " ".join(rng.choice(WORDS) for _ in range(30))
        out.append(
            {
                "url": f"https://soledar.example/{n}",
                "title": f"Soledar report {n}",
                "published": f"2026-11-{n + 1:02d}T08:00:00Z",
                "source": "Local Wire",
                "text": f"Report {n} from Soledar: damage to the {words}, officials said.",
            }
        )
    return out


@pytest.fixture
def corpus_app(fast_app: App, tmp_path: Path) -> App:
    fast_app.ingest([str(write_jsonl(tmp_path / "sample.jsonl", sample_records()))])
    return fast_app


async def test_more_pages_through_results_by_editing(
    fast_app: App, emulator: BotApiEmulator, tmp_path: Path
) -> None:
    fast_app.ingest([str(write_jsonl(tmp_path / "s.jsonl", soledar_reports(8)))])
    async with bot_running(fast_app, emulator):
        emulator.user_says("/near Soledar", chat_id=21, user_id=21)
        [first] = await replies(emulator, 21, 1)
        assert "passages 1–5 of 8" in shown(first) and "[5]" in shown(first)
        emulator.user_presses(first, buttons(first)["More ▸"], user_id=21)
        await until(lambda: "passages 6–8" in shown(emulator.bot_messages(21)[0]))
        page = emulator.bot_messages(21)[0]
        assert "[6]" in shown(page) and "[1]" not in shown(page)
        assert set(buttons(page)) == {"◂ Back"}
        assert len(emulator.bot_messages(21)) == 1  # edited, not sent again


async def test_ambiguous_place_offers_buttons_and_the_pick_answers(
    corpus_app: App, emulator: BotApiEmulator
) -> None:
    async with bot_running(corpus_app, emulator):
        emulator.user_says("what happened near Fedorivka?", chat_id=22, user_id=22)
        [choice] = await replies(emulator, 22, 1)
        options = buttons(choice)
        assert len(options) >= 2 and all(d.startswith("pick:") for d in options.values())
        rows = (choice.reply_markup or {})["inline_keyboard"]
        labels = [b["text"] for row in rows for b in row]
        assert len(labels) == len(set(labels))  # one-name, one-region places told apart
        label, data = next(iter(options.items()))
        emulator.user_presses(choice, data, user_id=22)
        answer = (await replies(emulator, 22, 2))[1]
        assert label.split(")")[0] + ")" in shown(answer)  # the label without coordinates


async def test_unknown_place_offers_did_you_mean(corpus_app: App, emulator: BotApiEmulator) -> None:
    async with bot_running(corpus_app, emulator):
        emulator.user_says("/near Bakhmutsk", chat_id=23, user_id=23)
        [reply] = await replies(emulator, 23, 1)
        options = buttons(reply)
        assert "Bakhmut (Donetsk, UA)" in options, shown(reply)
        emulator.user_presses(reply, options["Bakhmut (Donetsk, UA)"], user_id=23)
        answer = (await replies(emulator, 23, 2))[1]
        assert "Bakhmut (Donetsk, UA), within 15 km" in shown(answer)


async def test_watch_watches_unwatch(corpus_app: App, emulator: BotApiEmulator) -> None:
    async with bot_running(corpus_app, emulator):
        emulator.user_says("/watch Bajmut 20", chat_id=24, user_id=24)
        emulator.user_says("/watch Kupiansk 15 drones", chat_id=24, user_id=24)
        made = await replies(emulator, 24, 2)
        text = "\n".join(shown(m) for m in made)
        assert "Watching Bakhmut (Donetsk, UA)" in text and "within 20 km" in text
        assert "only passages with: drones" in text
        emulator.user_says("/watches", chat_id=24, user_id=24)
        listing = (await replies(emulator, 24, 3))[2]
        assert "Bakhmut, 20 km" in shown(listing) and "15 km (drones)" in shown(listing)
        emulator.user_says("/unwatch", chat_id=24, user_id=24)
        picker = (await replies(emulator, 24, 4))[3]
        emulator.user_presses(picker, buttons(picker)["Bakhmut, 20 km"], user_id=24)
        await until(lambda: "Stopped watching" in shown(emulator.bot_messages(24)[3]))
        emulator.user_says("/watches", chat_id=24, user_id=24)
        after = (await replies(emulator, 24, 5))[4]
        assert "Bakhmut" not in shown(after) and "drones" in shown(after)


async def test_a_shared_location_offers_a_watch(corpus_app: App, emulator: BotApiEmulator) -> None:
    async with bot_running(corpus_app, emulator):
        emulator.user_shares_location(48.5953, 38.0003, chat_id=25, user_id=25)
        [offer] = await replies(emulator, 25, 1)
        emulator.user_presses(offer, buttons(offer)["15 km"], user_id=25)
        await until(lambda: "Watching" in shown(emulator.bot_messages(25)[0]))
        assert [w.radius_km for w in corpus_app.chats.watches(25)] == [15.0]


async def test_admin_commands_are_refused_to_others(
    corpus_app: App, emulator: BotApiEmulator, http_server: LocalServer
) -> None:
    http_server.routes["/page"] = Route(
        b"<html><body><p>" + b"Words here. " * 50 + b"</p></body></html>"
    )
    async with bot_running(corpus_app, emulator, admins=(1,)):
        for command in (
            "/stats",
            "/addfeed https://example.org/rss",
            "/ingest https://example.org/x",
            "/removefeed",
        ):
            emulator.user_says(command, chat_id=26, user_id=26)
        refusals = await replies(emulator, 26, 4)
        assert all("admins only" in shown(m) for m in refusals)
        assert corpus_app.chats.feeds() == []
        emulator.user_says("/stats", chat_id=1, user_id=1)
        [stats] = await replies(emulator, 1, 1)
        assert "articles" in shown(stats) and "passages" in shown(stats)
        # An admin's URL on a private address is refused too (no SSRF through the bot).
        emulator.user_says(f"/ingest {http_server.url('/page')}", chat_id=1, user_id=1)
        refused = (await replies(emulator, 1, 2))[1]
        assert "not a public address" in shown(refused) and http_server.hits == []
        emulator.user_says("/ingest /etc/passwd", chat_id=1, user_id=1)
        assert "not a web address" in shown((await replies(emulator, 1, 3))[2])


async def test_groups_answer_commands_mentions_and_replies_only(
    corpus_app: App, emulator: BotApiEmulator
) -> None:
    async with bot_running(corpus_app, emulator):
        emulator.user_says("what happened near Seversk?", chat_id=-27, user_id=5, kind="group")
        emulator.user_says("@sitrep_bot news from Kharkov", chat_id=-27, user_id=5, kind="group")
        [answer] = await replies(emulator, -27, 1)
        assert "Kharkiv (Kharkiv, UA)" in shown(answer)
        emulator.user_says(
            "and near Seversk?", chat_id=-27, user_id=6, kind="group", reply_to=answer
        )
        second = (await replies(emulator, -27, 2))[1]
        assert "Siversk" in shown(second)
        assert len(emulator.bot_messages(-27)) == 2  # the first, unaddressed message got nothing


async def test_chats_off_the_allow_list_are_refused(
    corpus_app: App, emulator: BotApiEmulator
) -> None:
    async with bot_running(corpus_app, emulator, allowed_chats=(28,)):
        emulator.user_says("news from Kharkov", chat_id=29, user_id=29)
        [refusal] = await replies(emulator, 29, 1)
        assert "not open to this chat" in shown(refusal)
        emulator.user_says("news from Kharkov", chat_id=28, user_id=28)
        assert "Kharkiv" in shown((await replies(emulator, 28, 1))[0])


async def test_a_restart_keeps_watches_and_settings(
    corpus_app: App, emulator: BotApiEmulator, gazetteer: Gazetteer
) -> None:
    async with bot_running(corpus_app, emulator):
        emulator.user_says("/watch Siversk 10", chat_id=30, user_id=30)
        emulator.user_says("/settings time 07:30", chat_id=30, user_id=30)
        emulator.user_says("/settings tz Europe/Kyiv", chat_id=30, user_id=30)
        await replies(emulator, 30, 3)
    settings = corpus_app.settings
    corpus_app.close()
    again = build_app(
        settings, embedder=HashEmbedder, gazetteer=lambda: gazetteer, clock=corpus_app.clock
    )
    try:
        async with bot_running(again, emulator):
            emulator.user_says("/watches", chat_id=30, user_id=30)
            emulator.user_says("/settings", chat_id=30, user_id=30)
            sent = await replies(emulator, 30, 5)
            assert "Siversk, 10 km" in shown(sent[3])
            assert "07:30 (Europe/Kyiv)" in shown(sent[4])
    finally:
        again.close()


async def test_settings_reject_bad_values_clearly(
    corpus_app: App, emulator: BotApiEmulator
) -> None:
    async with bot_running(corpus_app, emulator):
        emulator.user_says("/settings tz Mars/Olympus", chat_id=31, user_id=31)
        emulator.user_says("/settings time 25:99", chat_id=31, user_id=31)
        sent = await replies(emulator, 31, 2)
        text = "\n".join(shown(m) for m in sent)
        assert "unknown timezone" in text and "cannot read the time" in text
        emulator.user_says("/settings", chat_id=31, user_id=31)
        panel = (await replies(emulator, 31, 3))[2]
        emulator.user_presses(panel, buttons(panel)["Turn instant alerts on"], user_id=31)
        await until(lambda: "instant alerts: on" in shown(emulator.bot_messages(31)[2]))


async def test_a_failed_typing_action_never_costs_the_answer(
    corpus_app: App, emulator: BotApiEmulator
) -> None:
    async with bot_running(corpus_app, emulator):
        emulator.fail_next("sendChatAction", times=1, code=429, retry_after=5)
        emulator.user_says("news from Kharkov", chat_id=32, user_id=32)
        [answer] = await replies(emulator, 32, 1, timeout=4)  # not held back by the 429
        assert "Kharkiv" in shown(answer)


async def test_buttons_from_before_a_restart_say_they_expired(
    fast_app: App, emulator: BotApiEmulator, tmp_path: Path
) -> None:
    fast_app.ingest([str(write_jsonl(tmp_path / "s.jsonl", soledar_reports(8)))])
    async with bot_running(fast_app, emulator):
        emulator.user_says("/near Soledar", chat_id=33, user_id=33)
        [first] = await replies(emulator, 33, 1)
    async with bot_running(fast_app, emulator):  # a new process: answers kept in memory are gone
        emulator.user_presses(first, buttons(first)["More ▸"], user_id=33)
        await until(lambda: bool(emulator.callback_answers))
        assert "expired" in emulator.callback_answers[-1]["text"]
        assert emulator.callback_answers[-1]["show_alert"] in (True, "true")
        assert "passages 1–" in shown(emulator.bot_messages(33)[0])  # the page is left as it was


async def test_a_watch_beyond_the_largest_radius_is_refused(
    corpus_app: App, emulator: BotApiEmulator
) -> None:
    async with bot_running(corpus_app, emulator):
        emulator.user_says("/watch Bakhmut 5000", chat_id=34, user_id=34)
        emulator.user_says("/watch", chat_id=34, user_id=34)
        said = "\n".join(shown(m) for m in await replies(emulator, 34, 2))
        assert "between 0 and" in said and "Say what to watch" in said
        assert corpus_app.chats.watches(34) == []


async def test_an_admin_removes_a_feed_with_its_button(
    corpus_app: App, emulator: BotApiEmulator
) -> None:
    feed = "http://127.0.0.1:9/" + "long-feed-path/" * 6 + "rss"  # longer than a button's data
    async with bot_running(corpus_app, emulator, admins=(35,), telegram_allow_private_urls=True):
        emulator.user_says(f"/addfeed {feed}", chat_id=35, user_id=35)
        emulator.user_says("/removefeed", chat_id=35, user_id=35)
        picker = (await replies(emulator, 35, 2))[1]
        [data] = buttons(picker).values()
        emulator.user_presses(picker, data, user_id=35)
        await until(lambda: "Stopped following" in shown(emulator.bot_messages(35)[1]))
        assert feed in shown(emulator.bot_messages(35)[1]) and corpus_app.chats.feeds() == []
