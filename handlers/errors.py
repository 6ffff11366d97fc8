"""The one error handler: log with traceback, tell the user something useful."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.errors import NotAllowed
from index.errors import SitrepError

log = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure first; then answer the chat without showing a Python error."""
    if isinstance(context.error, SitrepError):
        log.info("refused: %s", context.error)
    else:
        log.error("update failed", exc_info=context.error)
    if not isinstance(update, Update):
        return
    if isinstance(context.error, NotAllowed):
        text = f"Sorry: {context.error}."
    elif isinstance(context.error, SitrepError):
        text = f"Sorry: {context.error}"
    else:
        text = "Sorry, something went wrong on my side; it has been logged. Please try again."
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(text[:200], show_alert=True)
            return
        except TelegramError:  # already answered (the button was handled, then this failed)
            pass
    if update.effective_message is not None:
        await update.effective_message.reply_text(text)
