"""The bot on the embedded Bot API emulator, for people: ``sitrep run`` without a token opens
a chat in the terminal, and ``sitrep demo`` plays a scripted conversation through it."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
from collections.abc import AsyncIterator
from typing import TextIO

from telegram.ext import Application

from bot.app import App
from bot.emulator.api import Message
from bot.emulator.markup import plain_text
from bot.emulator.server import BotApiEmulator
from bot.service import Service
from bot.settings import Settings
from bot.telegram.app import build_telegram

LOCAL_TOKEN = "1000001:LOCAL-EMULATOR"
_LOCATION = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
_PRESS = re.compile(r"^\s*\[(.+)\]\s*$")  # "[More ▸]" presses the button with that text
CHAT_ID = 100


class LocalChat:
    """One private chat with the bot over the emulator: say things, press buttons, read."""

    def __init__(self, emulator: BotApiEmulator, chat_id: int = CHAT_ID) -> None:
        self.emulator = emulator
        self.chat_id = chat_id
        self._seen: dict[int, str] = {}  # message id -> text as last shown (edits show again)

    def send(self, line: str) -> None:
        """A line as a user would send it: text, a command, "lat,lon", or "[button text]"."""
        location = _LOCATION.match(line)
        press = _PRESS.match(line)
        if location:
            lat, lon = float(location.group(1)), float(location.group(2))
            self.emulator.user_shares_location(lat, lon, self.chat_id, self.chat_id)
        elif press:
            for message in reversed(self.emulator.bot_messages(self.chat_id)):
                data = buttons(message).get(press.group(1).strip())
                if data is not None:
                    self.emulator.user_presses(message, data, user_id=self.chat_id)
                    return
            raise ValueError(f"no button {press.group(1)!r} in this chat")
        else:
            self.emulator.user_says(line, chat_id=self.chat_id, user_id=self.chat_id)

    async def replies(self, timeout: float = 60.0, quiet: float = 0.4) -> list[Message]:
        """New and edited bot messages, once the bot has been quiet for ``quiet`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        changed_at = None
        while loop.time() < deadline:
            if self._fresh():
                changed_at = changed_at or loop.time()
                if loop.time() - changed_at > quiet:
                    break
            await asyncio.sleep(0.05)
        fresh = self._fresh()
        for message in fresh:
            self._seen[message.message_id] = message.text
        return fresh

    def pending(self) -> bool:
        """Whether the bot has sent or edited something not shown yet."""
        return bool(self._fresh())

    def _fresh(self) -> list[Message]:
        return [
            m
            for m in self.emulator.bot_messages(self.chat_id)
            if self._seen.get(m.message_id) != m.text
        ]


def buttons(message: Message) -> dict[str, str]:
    """Button text -> callback data under a message."""
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return {b.get("text", ""): b.get("callback_data", "") for row in rows for b in row}


def render_message(message: Message) -> str:
    """A bot message as the terminal shows it: plain text, then its buttons."""
    text = "bot> " + plain_text(message.text, message.parse_mode).replace("\n", "\n     ")
    labels = list(buttons(message))
    if labels:
        text += "\n     buttons: " + " | ".join(f"[{label}]" for label in labels)
    return text


@contextlib.asynccontextmanager
async def bot_on(
    app: App, settings: Settings, emulator: BotApiEmulator, token: str = LOCAL_TOKEN
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Run the real bot (polling, jobs) against a running emulator until the block ends."""
    application = build_telegram(
        Service(app), settings.replace(telegram_api_url=emulator.url), token=token
    )
    async with application:
        await application.post_init(application)  # type: ignore[misc]
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()


@contextlib.asynccontextmanager
async def local_bot(app: App, settings: Settings) -> AsyncIterator[BotApiEmulator]:
    """Serve the emulator and run the real bot on it until the block ends."""
    emulator = BotApiEmulator().start()
    try:
        async with bot_on(app, settings, emulator):
            yield emulator
    finally:
        emulator.stop()


async def local_chat(app: App, settings: Settings, stdin: TextIO, stdout: TextIO) -> None:
    """Relay the terminal to the bot and back until /quit or end of input."""
    print(
        "Sitrep is running on a local Bot API emulator. Type as you would in Telegram: "
        "/help, /near Bakhmut 20, what happened near Seversk?, /watch Bajmut 15, a location "
        "as lat,lon, or [button text] to press a button. /quit or end of input stops.",
        file=stdout,
        flush=True,
    )
    async with local_bot(app, settings) as emulator:
        chat = LocalChat(emulator)
        while True:
            stdout.write("you> ")
            stdout.flush()
            reading = asyncio.ensure_future(asyncio.to_thread(stdin.readline))
            while not reading.done():
                # Digests and alerts arrive unasked: show them while waiting for input.
                await asyncio.wait([reading], timeout=0.5)
                if not reading.done() and chat.pending():
                    for message in await chat.replies():
                        print("\n" + render_message(message), file=stdout)
                    stdout.write("\nyou> ")
                    stdout.flush()
            line = reading.result()
            if not line or line.strip() in ("/quit", "/exit"):
                break
            if not stdin.isatty():
                stdout.write(line if line.endswith("\n") else line + "\n")  # a scripted chat
            if not line.strip():
                continue
            try:
                chat.send(line.strip())
            except ValueError as exc:
                print(f"  ({exc})", file=stdout)
                continue
            for message in await chat.replies():
                print("\n" + render_message(message), file=stdout)
            print(file=stdout, flush=True)


def run_local(app: App, settings: Settings) -> int:
    """Blocking entry point for ``sitrep run`` with no token."""
    asyncio.run(local_chat(app, settings, sys.stdin, sys.stdout))
    return 0
