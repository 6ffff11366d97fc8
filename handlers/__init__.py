"""Telegram update handlers: thin adapters from updates to calls into the application.

The Telegram edge (bot/telegram) imports this package and calls :func:`register`; handlers
import the application core and never the edge, so the dependency runs one way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from handlers import access, admin, ask, callbacks, errors, settings, sources, start, watch
from handlers.callbacks import (
    CallbackData,
    Instant,
    More,
    Pick,
    RemoveFeed,
    Unwatch,
    WatchPick,
    WatchPoint,
)

log = logging.getLogger(__name__)
Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Command:
    """A command: its names, what answers it, and its line in Telegram's command menu (none
    for the admin commands, which only admins are told about)."""

    names: tuple[str, ...]
    callback: Callback
    menu: str | None = None


COMMANDS = (
    Command(("ask",), ask.ask, "ask what happened, e.g. /ask shelling near Siversk"),
    Command(("near",), ask.near, "what happened near a place: /near Bakhmut 20"),
    Command(("watch",), watch.watch, "get a digest about a place: /watch Bakhmut 20 [keywords]"),
    Command(("watches",), watch.watches, "the places this chat watches"),
    Command(("unwatch",), watch.unwatch, "stop watching a place"),
    Command(("digest",), settings.digest, "send the pending digest now"),
    Command(("settings",), settings.settings, "digest time, timezone, instant alerts"),
    Command(("sources",), sources.sources, "the feeds being followed"),
    Command(("help", "start"), start.start, "what this bot does, with examples"),
    Command(("addfeed",), admin.addfeed),
    Command(("removefeed",), admin.removefeed),
    Command(("ingest",), admin.ingest),
    Command(("stats",), admin.stats),
)


BUTTONS: dict[type[CallbackData], Callback] = {
    More: ask.more,
    Pick: ask.pick,
    WatchPick: watch.picked,
    WatchPoint: watch.watch_point,
    Unwatch: watch.unwatch_pressed,
    Instant: settings.instant_pressed,
    RemoveFeed: admin.removefeed_pressed,
}


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every button press: its kind's handler, or, for data no kind unpacks (malformed, forged,
    an older format, none at all), the answer of an expired button.

    One handler rather than one per kind: python-telegram-bot hands a press without data to
    the first handler with any pattern.
    """
    query = update.callback_query
    assert query is not None
    data = callbacks.parse(query.data)
    if data is None:
        log.info("button data not understood: %r", query.data)
        await query.answer(callbacks.expired(query.data), show_alert=True)
        return
    await BUTTONS[type(data)](update, context)


def menu() -> list[BotCommand]:
    """The command menu Telegram shows users (``setMyCommands``)."""
    return [BotCommand(c.names[0], c.menu) for c in COMMANDS if c.menu]


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Attach every handler to the application."""
    application.add_handler(TypeHandler(Update, access.gate), group=-1)
    # Edited messages are not new requests (a live location edits itself every few seconds).
    new = filters.UpdateType.MESSAGE
    for command in COMMANDS:
        application.add_handler(CommandHandler(list(command.names), command.callback, filters=new))
    application.add_handler(CallbackQueryHandler(button))
    application.add_handler(MessageHandler(new & filters.LOCATION, watch.location))
    text = new & filters.TEXT & ~filters.COMMAND
    application.add_handler(MessageHandler(text & filters.ChatType.PRIVATE, ask.plain))
    application.add_handler(
        MessageHandler(
            text & filters.ChatType.GROUPS & (filters.Entity("mention") | filters.REPLY),
            ask.addressed,
        )
    )
    application.add_error_handler(errors.on_error)
