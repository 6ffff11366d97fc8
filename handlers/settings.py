"""/settings and /digest: when digests come, and the pending one now."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.digests.build import next_due
from bot.render import html as render
from handlers.callbacks import Instant
from handlers.common import ids, service_of

_ON = ("on", "yes", "true", "1")
_OFF = ("off", "no", "false", "0")


def _markup(instant: bool) -> InlineKeyboardMarkup:
    label = "Turn instant alerts off" if instant else "Turn instant alerts on"
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=Instant(not instant).pack())]]
    )


async def settings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/settings [time HH:MM | tz ZONE | instant on|off]."""
    chat_id, _, message = ids(update)
    args = [a.strip() for a in context.args or []]
    change: dict[str, object] = {}
    if len(args) == 2 and args[0].lower() in ("time", "at"):
        change["digest_time"] = args[1]
    elif len(args) == 2 and args[0].lower() in ("tz", "timezone", "zone"):
        change["timezone"] = args[1]
    elif len(args) == 2 and args[0].lower() == "instant" and args[1].lower() in _ON + _OFF:
        change["instant"] = args[1].lower() in _ON
    elif args:
        await message.reply_html(
            "Use <code>/settings time 07:30</code>, <code>/settings tz Europe/Kyiv</code> or "
            "<code>/settings instant on</code>."
        )
        return
    chat = await service_of(context).settings(chat_id, **change)  # type: ignore[arg-type]
    await message.reply_html(
        render.settings_html(chat, next_due(chat, service_of(context).clock.now())),
        reply_markup=_markup(chat.instant),
    )


async def instant_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The instant alerts button."""
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_chat is not None
    chat = await service_of(context).settings(
        update.effective_chat.id, instant=Instant.unpack(query.data).on
    )
    await query.answer()
    await query.edit_message_text(
        render.settings_html(chat, next_due(chat, service_of(context).clock.now())),
        parse_mode="HTML",
        reply_markup=_markup(chat.instant),
    )


async def digest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/digest: send what is pending now."""
    chat_id, _, message = ids(update)
    service = service_of(context)
    report = await service.digest_now(chat_id)
    watched = report.status == "nothing new" and bool(await service.watches(chat_id))
    text = render.digest_now_html(report, watched)
    if text is not None:  # else the digest itself was the answer
        await message.reply_html(text)
