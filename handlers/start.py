"""/start and /help: what the bot does, with examples."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

HELP = (
    "<b>Sitrep</b> answers questions about a fast-moving situation with passages from the "
    "news, each cited.\n\n"
    "/ask <i>question</i> — e.g. <code>/ask shelling near Siversk</code>\n"
    "/near <i>place</i> [km] — e.g. <code>/near Bakhmut 20</code>\n"
    "In a private chat, any message is a question: <code>what happened in Bajmut?</code>\n\n"
    "Places may be written in any spelling: Seversk, Síversk, Сіверськ."
)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain the commands."""
    if update.effective_message is not None:
        await update.effective_message.reply_html(HELP)
