"""Update ordering: one chat's updates in the order they came, different chats concurrently."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# Handlers running at once, all chats together: their blocking work shares the default thread
# pool (SQLite, the model, the vector index), so more would only queue there.
MAX_RUNNING = 32
# Updates taken from Telegram and not finished yet (running or waiting for their chat's turn).
# A chat that sends many updates at once holds one of these per update, so this is larger.
MAX_IN_FLIGHT = 1024


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Runs the updates of one chat strictly one after another, in arrival order, and the
    updates of different chats concurrently, at most ``max_running`` handlers at once.

    Without it ``/settings time 09:00`` then ``/settings tz Europe/Kyiv`` from one user can be
    applied the other way round. The application hands updates over in arrival order and the
    base class admits them first come, first served; each takes its place in its chat's line
    before its first ``await``, so the line keeps that order. Updates without a chat (none
    that this bot handles) are not ordered.
    """

    def __init__(self, max_running: int = MAX_RUNNING, max_in_flight: int = MAX_IN_FLIGHT) -> None:
        super().__init__(max_in_flight)
        if max_running < 1:
            raise ValueError("max_running must be a positive integer")
        self._running = asyncio.Semaphore(max_running)
        self._last: dict[int, asyncio.Event] = {}  # chat id -> set when its latest update is done

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's previous update to finish, then handle this one."""
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            async with self._running:
                await coroutine
            return
        previous = self._last.get(chat.id)
        done = self._last[chat.id] = asyncio.Event()
        try:
            if previous is not None:
                await previous.wait()
            async with self._running:
                await coroutine
        except asyncio.CancelledError:
            if inspect.iscoroutine(coroutine):
                coroutine.close()  # cancelled before its turn: it never runs
            raise
        finally:
            done.set()
            if self._last.get(chat.id) is done:
                del self._last[chat.id]

    async def initialize(self) -> None:
        """Nothing to allocate: the lines of waiting updates are made as updates come."""

    async def shutdown(self) -> None:
        """Nothing to free: the application waits for every update it handed over to finish."""
