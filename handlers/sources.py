"""/sources: the feeds being followed."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.render import html as render
from handlers.common import ids, service_of


async def sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/sources: the feeds being followed."""
    _, _, message = ids(update)
    await message.reply_html(
        render.feeds_html(await service_of(context).feeds()), disable_web_page_preview=True
    )
