"""/watch, /watches, /unwatch, a shared location, and their buttons."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.digests.watching import WatchRequest
from bot.render import html as render
from handlers.callbacks import Unwatch, WatchPick, WatchPoint
from handlers.common import ids, place_buttons, pressed, recall, remember, service_of

_POINT_RADII = (5, 15, 30)


async def watch(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/watch PLACE [KM] [KEYWORDS]."""
    chat_id, _, message = ids(update)
    text = " ".join(context.args or [])
    if not text:
        await message.reply_html(
            "Say what to watch: <code>/watch Bakhmut 20</code> or "
            "<code>/watch Kupiansk 15 drones</code>. You can also share a location."
        )
        return
    outcome = await service_of(context).watch(chat_id, text)
    places = outcome.candidates or outcome.suggestions
    markup = None
    if outcome.watch is None and places:
        key = remember(context, outcome.request)
        markup = place_buttons(lambda geonameid: WatchPick(key, geonameid), places)
    await message.reply_html(render.watch_outcome_html(outcome), reply_markup=markup)


async def picked(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A place picked for /watch from buttons."""
    chat_id, query, data = pressed(update, WatchPick)
    request = recall(context, data.key)
    if not isinstance(request, WatchRequest):
        await query.answer(WatchPick.expired, show_alert=True)
        return
    made = await service_of(context).watch_place(
        chat_id, data.geonameid, request.radius_km, request.keywords
    )
    await query.answer()
    await query.edit_message_text(render.watch_html(made), parse_mode="HTML")


@dataclass(frozen=True, slots=True)
class _PointOffer:
    """A point and radius offered under a shared location, kept for its button."""

    lat: float
    lon: float
    km: int


async def location(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A shared location pin: offer to watch that point."""
    _, _, message = ids(update)
    assert message.location is not None
    lat, lon = round(message.location.latitude, 4), round(message.location.longitude, 4)
    buttons = [
        InlineKeyboardButton(
            f"{km} km",
            callback_data=WatchPoint(remember(context, _PointOffer(lat, lon, km))).pack(),
        )
        for km in _POINT_RADII
    ]
    await message.reply_html(
        f"Watch this point ({lat}, {lon})? Pick a radius:",
        reply_markup=InlineKeyboardMarkup([buttons]),
    )


async def watch_point(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The radius picked for a shared location."""
    chat_id, query, data = pressed(update, WatchPoint)
    point = recall(context, data.key)
    if not isinstance(point, _PointOffer):
        await query.answer(WatchPoint.expired, show_alert=True)
        return
    made = await service_of(context).watch_point(chat_id, point.lat, point.lon, float(point.km))
    await query.answer()
    await query.edit_message_text(render.watch_html(made), parse_mode="HTML")


async def watches(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/watches."""
    chat_id, _, message = ids(update)
    await message.reply_html(render.watches_html(await service_of(context).watches(chat_id)))


async def unwatch(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unwatch: buttons for each watch (or /unwatch NAME)."""
    chat_id, _, message = ids(update)
    service = service_of(context)
    found = await service.watches(chat_id)
    if not found:
        await message.reply_html("This chat watches nothing.")
        return
    name = " ".join(context.args or []).casefold()
    named = [w for w in found if name and w.name.casefold() == name]
    if len(named) == 1:
        await service.unwatch(chat_id, named[0].id)
        await message.reply_html(render.unwatched_html(named[0]))
        return
    keyboard = [
        [InlineKeyboardButton(w.title[:60], callback_data=Unwatch(w.id).pack())] for w in found[:50]
    ]
    await message.reply_html("Stop watching which?", reply_markup=InlineKeyboardMarkup(keyboard))


async def unwatch_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A watch picked to remove."""
    chat_id, query, data = pressed(update, Unwatch)
    removed = await service_of(context).unwatch(chat_id, data.watch_id)
    await query.answer()
    await query.edit_message_text(render.unwatched_html(removed), parse_mode="HTML")
