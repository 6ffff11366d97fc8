"""/ask, /near and plain questions: cited passages."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from handlers.common import reply_answer, service_of, typing


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask QUESTION."""
    await typing(update, context)
    answer = await service_of(context).ask(" ".join(context.args or []))
    await reply_answer(update, answer)


async def near(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/near PLACE [KM]: what happened near a place."""
    await typing(update, context)
    words = context.args or []
    radius = f" within {words[-1]} km" if len(words) > 1 and words[-1].isdigit() else ""
    place = " ".join(words[:-1] if radius else words)
    answer = await service_of(context).ask(f"what happened near {place}{radius}")
    await reply_answer(update, answer)


async def plain(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any text in a private chat is a question."""
    assert update.effective_message is not None
    await typing(update, context)
    answer = await service_of(context).ask(update.effective_message.text or "")
    await reply_answer(update, answer)
