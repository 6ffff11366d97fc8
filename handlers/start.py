"""/start and /help: what the bot does, with examples."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.render import html as render
from handlers.common import service_of


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain the commands (and the admin ones to admins)."""
    if update.effective_message is None:
        return
    user = update.effective_user
    admin = service_of(context).is_admin(user.id if user else None)
    await update.effective_message.reply_html(render.help_html(admin))
