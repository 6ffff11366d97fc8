"""/start and /help: what the bot does, with examples."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from handlers.common import service_of

HELP = (
    "<b>Sitrep</b> answers questions about a fast-moving situation with passages from the "
    "news, each cited, and watches places for you.\n\n"
    "<b>Ask</b>\n"
    "/ask <i>question</i> — e.g. <code>/ask shelling near Siversk</code>\n"
    "/near <i>place</i> [km] — e.g. <code>/near Bakhmut 20</code>\n"
    "In a private chat any message is a question: <code>what happened in Bajmut?</code> "
    "In a group, mention me or reply to me.\n\n"
    "<b>Watch</b>\n"
    "/watch <i>place</i> [km] [keywords] — e.g. <code>/watch Kupiansk 15 drones</code>; "
    "or share a location\n"
    "/watches — what this chat watches; /unwatch — stop\n"
    "/digest — the new reports now; /settings — digest time, timezone, instant alerts\n\n"
    "<b>Sources</b>\n"
    "/sources — the feeds being followed\n\n"
    "Places may be written in any spelling: Seversk, Síversk, Сіверськ."
)

ADMIN_HELP = "\n\n<b>Admin</b>\n/addfeed <i>url</i>, /removefeed, /ingest <i>url</i>, /stats"


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain the commands (and the admin ones to admins)."""
    if update.effective_message is None:
        return
    user = update.effective_user
    admin = service_of(context).is_admin(user.id if user else None)
    await update.effective_message.reply_html(HELP + (ADMIN_HELP if admin else ""))
