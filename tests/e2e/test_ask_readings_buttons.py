"""In Telegram, an answer for one reading of a name offers the others as buttons: each
re-asks the question for that place, and paging the answer keeps them."""

from __future__ import annotations

from pathlib import Path

import pytest
from botkit import bot_running, buttons, replies, shown, until

from bot.app import App
from bot.emulator.server import BotApiEmulator
from conftest import write_jsonl

pytestmark = pytest.mark.usefixtures("_timedelta_durations")

TOMSK_BUTTON = "Seversk (Tomsk Oblast, RU) — 1 report"


@pytest.fixture
def reported(fast_app: App, tmp_path: Path) -> App:
    """Eight distinct reports from Siversk and one from Seversk near Tomsk."""
    deeds = "depot school bridge market clinic tower road mine".split()
    records: list[dict[str, object]] = [
        {
            "url": f"https://siversk.example/{n}",
            "title": f"Siversk {n}",
            "published": f"2026-11-{10 + n:02d}T07:00:00Z",
            "source": "Front Desk",
            "text": f"In Siversk a shell hit the {deeds[n]} on day {n}; report number {n}.",
        }
        for n in range(8)
    ]
    records.append(
        {
            "url": "https://tomsk.example/1",
            "title": "Seversk plant drill",
            "published": "2026-11-10T07:00:00Z",
            "source": "Siberia Desk",
            "text": "In Seversk, near Tomsk, the chemical plant held a fire drill, Tomsk "
            "Oblast officials said.",
        }
    )
    fast_app.ingest([str(write_jsonl(tmp_path / "r.jsonl", records))])
    return fast_app


async def test_the_other_seversk_is_a_button_that_asks_again_for_it(
    reported: App, emulator: BotApiEmulator
) -> None:
    async with bot_running(reported, emulator):
        emulator.user_says("What happened in Seversk?", chat_id=51, user_id=51)
        [answer] = await replies(emulator, 51, 1)
        text = shown(answer)
        assert "Siversk (Donetsk, UA)" in text and "Other places named Seversk" in text
        options = buttons(answer)
        assert TOMSK_BUTTON in options and options[TOMSK_BUTTON].startswith("pick:")
        assert "More ▸" in options
        emulator.user_presses(answer, options["More ▸"], user_id=51)
        await until(lambda: "passages 6–8" in shown(emulator.bot_messages(51)[0]))
        assert TOMSK_BUTTON in buttons(emulator.bot_messages(51)[0])  # kept on every page
        emulator.user_presses(answer, options[TOMSK_BUTTON], user_id=51)
        again = (await replies(emulator, 51, 2))[1]
        assert "Seversk (Tomsk Oblast, RU)" in shown(again)
        assert "chemical plant" in shown(again)
        assert "◂ Back" in buttons(emulator.bot_messages(51)[0])  # the answer still pages
