"""One chat's updates are handled in the order they came, other chats' meanwhile."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from botkit import bot_running, replies, shown
from telegram import Chat, Message, Update
from telegram.ext import ContextTypes, TypeHandler

from bot.app import App
from bot.emulator.server import BotApiEmulator
from bot.telegram.updates import ChatOrderedProcessor

pytestmark = pytest.mark.usefixtures("_timedelta_durations")

SLOW = "/settings time 09:00"


async def test_one_chats_commands_apply_in_order_while_other_chats_are_answered(
    fast_app: App, emulator: BotApiEmulator
) -> None:
    entered: list[str] = []
    held, release = asyncio.Event(), asyncio.Event()

    async def hold(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs before every other handler: holds the first command until the test says."""
        message = update.effective_message
        if message is None or message.chat_id != 61:
            return
        entered.append(message.text or "")
        if message.text == SLOW:
            held.set()
            await release.wait()

    async with bot_running(fast_app, emulator) as application:
        application.add_handler(TypeHandler(Update, hold), group=-2)
        try:
            emulator.user_says(SLOW, chat_id=61, user_id=61)
            await asyncio.wait_for(held.wait(), 15)
            emulator.user_says("/settings tz Europe/Kyiv", chat_id=61, user_id=61)
            emulator.user_says("/watches", chat_id=62, user_id=62)
            [other] = await replies(emulator, 62, 1)
            assert "watches nothing" in shown(other)
            assert entered == [SLOW]  # the second command waits for the first
        finally:
            release.set()  # the bot stops only once its handlers have finished
        first, second = await replies(emulator, 61, 2)
        assert "time: 09:00 (UTC)" in shown(first)
        assert "time: 09:00 (Europe/Kyiv)" in shown(second)


def update_in(chat_id: int, update_id: int) -> Update:
    """A text message update from a private chat."""
    chat = Chat(chat_id, Chat.PRIVATE)
    return Update(update_id, message=Message(update_id, datetime(2026, 1, 1, tzinfo=UTC), chat))


async def test_at_most_max_running_handlers_run_at_once() -> None:
    running: list[int] = []
    peak = 0
    go = asyncio.Event()

    async def handle(chat_id: int) -> None:
        nonlocal peak
        running.append(chat_id)
        peak = max(peak, len(running))
        await go.wait()
        running.remove(chat_id)

    async with ChatOrderedProcessor(max_running=2) as processor:
        chats = [
            asyncio.create_task(processor.process_update(update_in(c, c), handle(c)))
            for c in range(1, 6)
        ]
        for _ in range(50):  # every task gets to run as far as it may
            await asyncio.sleep(0)
        assert running == [1, 2]  # five chats, two handlers at a time, first come first
        go.set()
        await asyncio.gather(*chats)
    assert peak == 2 and running == []
