"""Telegram update handlers: thin adapters from updates to calls into the application."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from handlers import access, admin, ask, errors, settings, sources, start, watch


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Attach every handler to the application."""
    application.add_handler(TypeHandler(Update, access.gate), group=-1)
    commands = {
        ("start", "help"): start.start,
        ("ask",): ask.ask,
        ("near",): ask.near,
        ("watch",): watch.watch,
        ("watches",): watch.watches,
        ("unwatch",): watch.unwatch,
        ("digest",): settings.digest,
        ("settings",): settings.settings,
        ("sources",): sources.sources,
        ("addfeed",): admin.addfeed,
        ("removefeed",): admin.removefeed,
        ("ingest",): admin.ingest,
        ("stats",): admin.stats,
    }
    # Edited messages are not new requests (a live location edits itself every few seconds).
    new = filters.UpdateType.MESSAGE
    for names, callback in commands.items():
        application.add_handler(CommandHandler(list(names), callback, filters=new))
    buttons = {
        r"^more:\d+:\d+$": ask.more,
        r"^pick:\d+:\d+$": ask.pick,
        r"^wpick:\d+:\d+$": watch.picked,
        r"^wl:-?[\d.]+:-?[\d.]+:\d+$": watch.watch_point,
        r"^uw:\d+$": watch.unwatch_pressed,
        r"^instant:[01]$": settings.instant_pressed,
        r"^rf:\d+$": admin.removefeed_pressed,
    }
    for pattern, callback in buttons.items():
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern))
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
