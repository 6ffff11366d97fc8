"""/ask, /near, plain questions, questions to the bot in groups, and their buttons."""

from __future__ import annotations

import re

from telegram import Update
from telegram.constants import MessageEntityType
from telegram.ext import ContextTypes

from handlers.callbacks import More, Pick
from handlers.common import (
    ids,
    page_markup,
    pressed,
    recall,
    reply_answer,
    service_of,
    typing,
)


async def _answer(
    update: Update, context: ContextTypes.DEFAULT_TYPE, question: str, near: str | None = None
) -> None:
    await typing(update, context)
    service = service_of(context)
    answer = await service.ask(question, near=near)
    await reply_answer(update, context, answer, question)


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask QUESTION."""
    await _answer(update, context, " ".join(context.args or []))


async def near(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/near PLACE [KM]: what happened near a place."""
    words = context.args or []
    radius = f" within {words[-1]} km" if len(words) > 1 and words[-1].isdigit() else ""
    place = " ".join(words[:-1] if radius else words)
    if not place:
        _, _, message = ids(update)
        await message.reply_html("Say which place: <code>/near Bakhmut 20</code>")
        return
    await _answer(update, context, f"what happened near {place}{radius}")


async def plain(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any text in a private chat is a question."""
    _, _, message = ids(update)
    await _answer(update, context, message.text or "")


async def addressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a group: a message that mentions the bot, or replies to it, is a question."""
    _, _, message = ids(update)
    me = context.bot.username
    text = message.text or ""
    mentioned = any(
        e.type == MessageEntityType.MENTION and message.parse_entity(e).lower() == f"@{me}".lower()
        for e in message.entities
    )
    reply = message.reply_to_message
    to_bot = (
        reply is not None and reply.from_user is not None and reply.from_user.id == context.bot.id
    )
    if not (mentioned or to_bot):
        return  # group talk not meant for the bot
    question = re.sub(rf"@{re.escape(me)}\b", " ", text, flags=re.IGNORECASE).strip()
    await _answer(update, context, question)


async def more(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The "More" / "Back" buttons: show another page of an answer by editing the message."""
    _, query, data = pressed(update, More)
    pages = recall(context, data.key)
    if not isinstance(pages, list) or not 0 <= data.page < len(pages):
        await query.answer(More.expired, show_alert=True)
        return
    await query.answer()
    await query.edit_message_text(
        pages[data.page],
        parse_mode="HTML",
        reply_markup=page_markup(data.key, data.page, len(pages)),
        disable_web_page_preview=True,
    )


async def pick(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A place picked from the buttons of an ambiguous or unknown place: answer for it."""
    _, query, picked = pressed(update, Pick)
    question = recall(context, picked.key)
    if not isinstance(question, str):
        await query.answer(Pick.expired, show_alert=True)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    await _answer(update, context, question, near=str(picked.geonameid))
