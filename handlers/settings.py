"""/settings and /digest: when digests come, and the pending one now."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.digests.delivery import DeliveryStatus
from bot.domain.watches import ChatSettings
from bot.render import html as render
from handlers.callbacks import Instant
from handlers.common import ids, pressed, service_of

_ON = ("on", "yes", "true", "1")
_OFF = ("off", "no", "false", "0")


def _markup(instant: bool) -> InlineKeyboardMarkup:
    label = "Turn instant alerts off" if instant else "Turn instant alerts on"
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=Instant(not instant).pack())]]
    )


def _change(args: list[str]) -> tuple[str | None, str | None, bool | None] | None:
    """(digest time, timezone, instant) to set, from the words after /settings; None when they
    are not understood. No words: nothing to change, the settings are shown."""
    if not args:
        return None, None, None
    if len(args) != 2:
        return None
    what, value = args[0].lower(), args[1]
    if what in ("time", "at"):
        return value, None, None
    if what in ("tz", "timezone", "zone"):
        return None, value, None
    if what == "instant" and value.lower() in _ON + _OFF:
        return None, None, value.lower() in _ON
    return None


def _panel(context: ContextTypes.DEFAULT_TYPE, chat: ChatSettings) -> str:
    return render.settings_html(chat, service_of(context).next_digest(chat))


async def settings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/settings [time HH:MM | tz ZONE | instant on|off]."""
    chat_id, _, message = ids(update)
    change = _change([a.strip() for a in context.args or []])
    if change is None:
        await message.reply_html(
            "Use <code>/settings time 07:30</code>, <code>/settings tz Europe/Kyiv</code> or "
            "<code>/settings instant on</code>."
        )
        return
    at, zone, instant = change
    chat = await service_of(context).settings(chat_id, at, zone, instant)
    await message.reply_html(_panel(context, chat), reply_markup=_markup(chat.instant))


async def instant_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The instant alerts button."""
    chat_id, query, data = pressed(update, Instant)
    chat = await service_of(context).settings(chat_id, instant=data.on)
    await query.answer()
    await query.edit_message_text(
        _panel(context, chat), parse_mode="HTML", reply_markup=_markup(chat.instant)
    )


async def digest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/digest: send what is pending now."""
    chat_id, _, message = ids(update)
    service = service_of(context)
    report = await service.digest_now(chat_id)
    watched = report.status == DeliveryStatus.NOTHING_NEW and bool(await service.watches(chat_id))
    text = render.digest_now_html(report, watched)
    if text is not None:  # else the digest itself was the answer
        await message.reply_html(text)
