"""Admin commands (user ids in ``SITREP_ADMINS``): /addfeed, /removefeed, /ingest, /stats."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.render import html as render
from handlers.callbacks import RemoveFeed
from handlers.common import ids, pressed, recall, remember, service_of, typing


async def addfeed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/addfeed URL (admins)."""
    _, user_id, message = ids(update)
    url = " ".join(context.args or [])
    if not url:
        await message.reply_html("Send the feed's address: <code>/addfeed https://…/rss</code>")
        return
    added = await service_of(context).add_feed(user_id, url)
    await message.reply_html(render.feed_added_html(url, added), disable_web_page_preview=True)


async def removefeed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/removefeed [URL] (admins): buttons for each feed without a URL."""
    _, user_id, message = ids(update)
    service = service_of(context)
    url = " ".join(context.args or [])
    if url:
        removed = await service.remove_feed(user_id, url)
        await message.reply_html(
            render.feed_removed_html(url, removed), disable_web_page_preview=True
        )
        return
    service.require_admin(user_id)
    feeds = await service.feeds()
    if not feeds:
        await message.reply_html("No feeds are followed.")
        return
    keyboard = [
        [
            InlineKeyboardButton(
                f.url[-60:], callback_data=RemoveFeed(remember(context, f.url)).pack()
            )
        ]
        for f in feeds[:50]
    ]
    await message.reply_html("Stop following which?", reply_markup=InlineKeyboardMarkup(keyboard))


async def removefeed_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A feed picked to remove."""
    _, query, data = pressed(update, RemoveFeed)
    url = recall(context, data.key)
    if not isinstance(url, str):
        await query.answer(RemoveFeed.expired, show_alert=True)
        return
    user = update.effective_user
    removed = await service_of(context).remove_feed(user.id if user else None, url)
    await query.answer()
    await query.edit_message_text(
        render.feed_removed_html(url, removed, pressed=True),
        parse_mode="HTML",
        disable_web_page_preview=True,
    )


async def ingest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ingest URL (admins): fetch and ingest one page or feed."""
    _, user_id, message = ids(update)
    url = " ".join(context.args or [])
    if not url:
        await message.reply_html("Send the address: <code>/ingest https://…</code>")
        return
    service_of(context).require_admin(user_id)
    await typing(update, context)
    report = await service_of(context).ingest_url(user_id, url)
    await message.reply_html(render.report_html(report), disable_web_page_preview=True)


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats (admins)."""
    _, user_id, message = ids(update)
    found = await service_of(context).stats(user_id)
    await message.reply_html(render.stats_html(found))
