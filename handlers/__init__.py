"""Telegram update handlers: thin adapters from updates to calls into the application."""

from __future__ import annotations

from telegram.ext import Application, CommandHandler, MessageHandler, filters

from handlers import ask, errors, start


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Attach every handler to the application."""
    application.add_handler(CommandHandler(["start", "help"], start.start))
    application.add_handler(CommandHandler("ask", ask.ask))
    application.add_handler(CommandHandler("near", ask.near))
    application.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, ask.plain)
    )
    application.add_error_handler(errors.on_error)
