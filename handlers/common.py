"""What every handler needs: the service, "typing", replies, and choices behind buttons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction
from telegram.ext import ContextTypes

from bot.render import html as render
from bot.service import Service
from handlers.callbacks import CallbackData, More, Pick
from index.models import Answer, Place

Pressed = TypeVar("Pressed", bound=CallbackData)

_KEPT = 200  # answers and pending choices remembered per chat for buttons


def service_of(context: ContextTypes.DEFAULT_TYPE) -> Service:
    """The application service stored on the Application."""
    service: Service = context.application.bot_data["service"]
    return service


def ids(update: Update) -> tuple[int, int | None, Message]:
    """(chat id, user id, message) of an update that carries a message."""
    message = update.effective_message
    assert message is not None and update.effective_chat is not None
    user = update.effective_user
    return update.effective_chat.id, user.id if user else None, message


def pressed(update: Update, kind: type[Pressed]) -> tuple[int, CallbackQuery, Pressed]:
    """(chat id, query, its button's data unpacked as ``kind``) of a button press."""
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    return update.effective_chat.id, query, kind.unpack(query.data)


async def typing(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show "typing" while the search runs: sent alongside the search, best effort (its
    failure is logged by the error handler and never costs the user the answer)."""
    if update.effective_chat is not None:
        context.application.create_task(
            context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING)
        )


def remember(context: ContextTypes.DEFAULT_TYPE, value: Any) -> int:
    """Keep ``value`` for a later button press in this chat; returns its short key.

    Kept in memory: after a restart an old button answers that it has expired.
    """
    store = context.chat_data if context.chat_data is not None else {}
    kept: dict[int, Any] = store.setdefault("kept", {})
    key = int(store.get("next_key", 1))
    store["next_key"] = key + 1
    kept[key] = value
    for old in [k for k in kept if k <= key - _KEPT]:
        del kept[old]
    return key


def recall(context: ContextTypes.DEFAULT_TYPE, key: int) -> Any:
    """The value kept under ``key``, or None when it has expired."""
    store = context.chat_data if context.chat_data is not None else {}
    kept: dict[int, Any] = store.get("kept", {})
    return kept.get(key)


def place_buttons(
    data: Callable[[int], CallbackData], places: tuple[Place, ...]
) -> InlineKeyboardMarkup:
    """One button per place ("Fedorivka (Donetsk, UA)") carrying ``data(geonameid)``; places
    of one name in one region are told apart by where they lie."""
    shown = places[:8]
    labels = [p.label for p in shown]
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    (
                        p.label
                        if labels.count(p.label) == 1
                        else f"{p.label} {p.lat:.2f}, {p.lon:.2f}"
                    )[:60],
                    callback_data=data(p.geonameid).pack(),
                )
            ]
            for p in shown
        ]
    )


def page_markup(key: int, page: int, pages: int) -> InlineKeyboardMarkup | None:
    """Back / More buttons for page ``page`` of ``pages``."""
    row = []
    if page > 0:
        row.append(InlineKeyboardButton("◂ Back", callback_data=More(key, page - 1).pack()))
    if page < pages - 1:
        row.append(InlineKeyboardButton("More ▸", callback_data=More(key, page + 1).pack()))
    return InlineKeyboardMarkup([row]) if row else None


async def reply_answer(
    update: Update, context: ContextTypes.DEFAULT_TYPE, answer: Answer, question: str
) -> None:
    """Send an answer: its first page with a "More" button, or buttons to pick the place."""
    _, _, message = ids(update)
    if answer.candidates or answer.suggestions:
        key = remember(context, question)
        places = answer.candidates or answer.suggestions
        await message.reply_html(
            render.choice_html(answer),
            reply_markup=place_buttons(lambda geonameid: Pick(key, geonameid), places),
            disable_web_page_preview=True,
        )
        return
    pages = render.answer_pages(answer, service_of(context).page_size)
    key = remember(context, pages) if len(pages) > 1 else 0
    await message.reply_html(
        pages[0], reply_markup=page_markup(key, 0, len(pages)), disable_web_page_preview=True
    )
