"""Helpers for end-to-end tests: run the real bot against the emulator, wait for replies."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from telegram.ext import Application

from bot.app import App
from bot.emulator.api import Message
from bot.emulator.markup import plain_text
from bot.emulator.server import BotApiEmulator
from bot.service import Service
from bot.telegram.local import bot_on, buttons

TOKEN = "123456:SECRET-TOKEN-VALUE"
__all__ = ["TOKEN", "bot_running", "buttons", "replies", "service_of", "shown", "until"]


@contextlib.asynccontextmanager
async def bot_running(
    app: App, emulator: BotApiEmulator, **settings: Any
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Start the bot (polling, jobs) on ``app``; ``settings`` override the app's settings."""
    app.settings = app.settings.replace(telegram_api_url=emulator.url, **settings)
    async with bot_on(app, app.settings, emulator, TOKEN) as application:
        yield application


def service_of(application: Application) -> Service:  # type: ignore[type-arg]
    """The application service the running bot calls (its digests, its feed job)."""
    service: Service = application.bot_data["service"]
    return service


async def replies(
    emulator: BotApiEmulator, chat_id: int, count: int, timeout: float = 15.0
) -> list[Message]:
    """Wait (without blocking the loop) until the bot has sent ``count`` messages to a chat."""
    await until(
        lambda: len(emulator.bot_messages(chat_id)) >= count,
        timeout,
        lambda: f"the bot sent {emulator.bot_messages(chat_id)}",
    )
    return emulator.bot_messages(chat_id)


async def until(
    condition: Callable[[], bool], timeout: float = 15.0, say: Callable[[], str] = lambda: ""
) -> None:
    """Wait until ``condition`` holds, or fail saying what was seen."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out; {say()}")
        await asyncio.sleep(0.05)


def shown(message: Message) -> str:
    """A message as the user sees it."""
    return plain_text(message.text, message.parse_mode)
