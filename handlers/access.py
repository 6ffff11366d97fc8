"""Who may use the bot: the chat allow-list, checked before any other handler."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from handlers.common import service_of


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Refuse chats not on the allow-list politely; a chat that writes again is unpaused."""
    chat = update.effective_chat
    if chat is None:
        return
    service = service_of(context)
    if service.chat_allowed(chat.id):
        await service.unblock(chat.id)
        return
    if update.callback_query is not None:
        await update.callback_query.answer("This bot is not open to this chat.", show_alert=True)
    elif update.effective_message is not None and (
        chat.type == "private" or (update.effective_message.text or "").startswith("/")
    ):
        await update.effective_message.reply_text(
            "Sorry, this Sitrep bot is private and not open to this chat. "
            "Ask its operator to add this chat, or run your own: it is open source."
        )
    raise ApplicationHandlerStop
