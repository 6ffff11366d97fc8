"""What every handler needs: the service, and sending rendered answers."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import ContextTypes

from bot import render
from bot.service import Service
from index.models import Answer


def service_of(context: ContextTypes.DEFAULT_TYPE) -> Service:
    """The application service stored on the Application."""
    service: Service = context.application.bot_data["service"]
    return service


async def reply_answer(update: Update, answer: Answer) -> None:
    """Send an answer as one or more HTML messages, without link previews."""
    assert update.effective_message is not None
    for chunk in render.answer_html(answer):
        await update.effective_message.reply_html(chunk, disable_web_page_preview=True)


async def typing(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show "typing" while the search runs."""
    if update.effective_chat is not None:
        await context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING)
