"""Button presses a modified client forges: malformed data answers like an expired button, and
a forged location button creates no watch while the genuine one still does."""

from __future__ import annotations

import logging

import pytest
from botkit import bot_running, buttons, replies, shown, until

from bot.app import App
from bot.emulator.server import BotApiEmulator

pytestmark = pytest.mark.usefixtures("_timedelta_durations")

MALFORMED = (
    "nope:1",  # no kind has this prefix
    "more:1",  # too few fields
    "more:1:2:3",  # too many
    "more:x:1",  # not a number
    "more:٣:1",  # a digit, but not an ASCII one
    "more: 3:1",  # space around a number
    "more:1_0:1",  # Python's digit grouping
    "more:" + "9" * 40 + ":0",  # an integer no store takes
    "uw:" + "9" * 40,
    "pick:1:" + "9" * 30,
    "uw:-9223372036854775809",
    "instant:2",
    "wl:nan:nan:15",
    "wl:inf:38.0:15",
    "wl:48.5:1e999:15",
    "",
    None,  # a game button carries no data
)


async def test_malformed_button_data_is_answered_as_expired(
    fast_app: App,
    emulator: BotApiEmulator,
    caplog: pytest.LogCaptureFixture,  # type: ignore[type-arg]
) -> None:
    caplog.set_level(logging.INFO)
    async with bot_running(fast_app, emulator):
        emulator.user_says("/settings", chat_id=41, user_id=41)
        [panel] = await replies(emulator, 41, 1)
        for data in MALFORMED:
            emulator.client_sends_callback(panel, data, user_id=41)
        await until(
            lambda: len(emulator.callback_answers) >= len(MALFORMED),
            say=lambda: f"answers: {emulator.callback_answers}",
        )
        # The genuine button still works after them.
        emulator.user_presses(panel, buttons(panel)["Turn instant alerts on"], user_id=41)
        await until(lambda: "instant alerts: on" in shown(emulator.bot_messages(41)[0]))
    answers = emulator.callback_answers[: len(MALFORMED)]
    for data, answer in zip(MALFORMED, answers, strict=True):
        assert "has expired" in answer.get("text", ""), (data, answer)
        assert answer.get("show_alert") in (True, "true"), (data, answer)
    assert len(emulator.bot_messages(41)) == 1  # no "Sorry, something went wrong"
    logged = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert logged == []
    assert not any("Error" in r.getMessage() for r in caplog.records)


async def test_a_forged_location_button_watches_nothing(
    fast_app: App, emulator: BotApiEmulator
) -> None:
    async with bot_running(fast_app, emulator):
        emulator.user_shares_location(48.5953, 38.0003, chat_id=42, user_id=42)
        [offer] = await replies(emulator, 42, 1)
        for forged in ("wl:55.7558:37.6173:30", "wl:10.0:10.0:300", "wl:999", "wl:1:300"):
            emulator.client_sends_callback(offer, forged, user_id=42)
        await until(
            lambda: len(emulator.callback_answers) >= 4,
            say=lambda: f"{emulator.callback_answers}; watches {fast_app.chats.watches(42)}",
        )
        assert all("has expired" in a.get("text", "") for a in emulator.callback_answers)
        assert fast_app.chats.watches(42) == []
        assert "Pick a radius" in shown(emulator.bot_messages(42)[0])  # the offer stands
        emulator.user_presses(offer, buttons(offer)["15 km"], user_id=42)
        await until(lambda: "Watching" in shown(emulator.bot_messages(42)[0]))
    [watch] = fast_app.chats.watches(42)
    assert (watch.lat, watch.lon, watch.radius_km) == (48.5953, 38.0003, 15.0)
