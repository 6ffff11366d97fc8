"""``sitrep run`` without a token: the real bot against the embedded Bot API emulator, with
a chat in the terminal where a person types as a Telegram user would."""

from __future__ import annotations

import asyncio
import re
import sys
from typing import TextIO

from bot.app import App
from bot.emulator import BotApiEmulator, Message, plain_text
from bot.service import Service
from bot.settings import Settings
from bot.telegram_app import build_telegram

LOCAL_TOKEN = "1000001:LOCAL-EMULATOR"
_LOCATION = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
CHAT_ID = 100


async def local_chat(app: App, settings: Settings, stdin: TextIO, stdout: TextIO) -> None:
    """Serve the emulator, run the bot on it, and relay the terminal to the bot and back."""
    emulator = BotApiEmulator().start()
    application = build_telegram(
        Service(app), settings.replace(telegram_api_url=emulator.url), token=LOCAL_TOKEN
    )
    print(
        "Sitrep is running on a local Bot API emulator. Type as you would in Telegram: "
        "/help, /near Bakhmut 20, what happened near Seversk?, or a location as lat,lon. "
        "/quit or end of input stops.",
        file=stdout,
        flush=True,
    )
    try:
        async with application:
            await application.post_init(application)  # type: ignore[misc]
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(poll_interval=0.0, timeout=1)
            seen = 0
            while True:
                stdout.write("you> ")
                stdout.flush()
                line = await asyncio.to_thread(stdin.readline)
                if not line or line.strip() in ("/quit", "/exit"):
                    break
                if not line.strip():
                    continue
                m = _LOCATION.match(line)
                if m:
                    emulator.user_shares_location(float(m.group(1)), float(m.group(2)), CHAT_ID)
                else:
                    emulator.user_says(line.strip(), chat_id=CHAT_ID, user_id=CHAT_ID)
                seen = await _show_replies(emulator, seen, stdout)
            await application.updater.stop()
            await application.stop()
    finally:
        emulator.stop()


async def _show_replies(emulator: BotApiEmulator, seen: int, stdout: TextIO) -> int:
    """Print the bot's new messages once it has been quiet for a moment."""
    deadline = asyncio.get_running_loop().time() + 15
    quiet_since = None
    while asyncio.get_running_loop().time() < deadline:
        count = len(emulator.bot_messages(CHAT_ID))
        if count > seen:
            if quiet_since is None:
                quiet_since = asyncio.get_running_loop().time()
            elif asyncio.get_running_loop().time() - quiet_since > 0.4:
                break
        await asyncio.sleep(0.05)
    new: list[Message] = emulator.bot_messages(CHAT_ID)[seen:]
    for msg in new:
        print(
            "\nbot> " + plain_text(msg.text, msg.parse_mode).replace("\n", "\n     "), file=stdout
        )
        buttons = [
            b.get("text", "")
            for row in (msg.reply_markup or {}).get("inline_keyboard", [])
            for b in row
        ]
        if buttons:
            print("     buttons: " + " | ".join(buttons), file=stdout)
    print(file=stdout, flush=True)
    return seen + len(new)


def run_local(app: App, settings: Settings) -> int:
    """Blocking entry point for ``sitrep run`` with no token."""
    asyncio.run(local_chat(app, settings, sys.stdin, sys.stdout))
    return 0
