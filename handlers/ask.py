"""/ask, /near, plain questions, questions to the bot in groups, and their buttons."""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import MessageEntityType
from telegram.ext import ContextTypes

from bot.render import html as render
from handlers.callbacks import More, Pick
from handlers.common import (
    ids,
    page_markup,
    pressed,
    recall,
    remember,
    reply_answer,
    service_of,
    typing,
)
from index.models import Answer

Row = tuple[InlineKeyboardButton, ...]


@dataclass(frozen=True)
class Reask:
    """A question kept for the buttons of the other places its name may mean: a press asks
    it again for the place picked, and the answer it came with stays as it is."""

    question: str


@dataclass(frozen=True)
class Paged:
    """The pages of an answer, and the button rows every page carries (the other places)."""

    pages: list[str]
    rows: tuple[Row, ...]


def _markup(key: int, page: int, pages: int, rows: tuple[Row, ...]) -> InlineKeyboardMarkup | None:
    paging = page_markup(key, page, pages)
    kept = [*(paging.inline_keyboard if paging else ()), *rows]
    return InlineKeyboardMarkup(kept) if kept else None


async def _reply_with_alternatives(
    update: Update, context: ContextTypes.DEFAULT_TYPE, answer: Answer, question: str
) -> None:
    """An answer for one reading of a name, with a button for each other reading."""
    _, _, message = ids(update)
    asked = remember(context, Reask(question))
    rows = tuple(
        (
            InlineKeyboardButton(
                f"{r.place.label} — {r.reports} report{'' if r.reports == 1 else 's'}"[:60],
                callback_data=Pick(asked, r.place.geonameid).pack(),
            ),
        )
        for r in answer.alternatives
    )
    pages = render.answer_pages(answer, service_of(context).page_size)
    key = remember(context, Paged(pages, rows)) if len(pages) > 1 else 0
    await message.reply_html(
        pages[0], reply_markup=_markup(key, 0, len(pages), rows), disable_web_page_preview=True
    )


async def _answer(
    update: Update, context: ContextTypes.DEFAULT_TYPE, question: str, near: str | None = None
) -> None:
    await typing(update, context)
    service = service_of(context)
    answer = await service.ask(question, near=near)
    if answer.alternatives and not (answer.candidates or answer.suggestions):
        await _reply_with_alternatives(update, context, answer, question)
        return
    await reply_answer(update, context, answer, question)


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask QUESTION."""
    await _answer(update, context, " ".join(context.args or []))


async def near(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/near PLACE [KM]: what happened near a place."""
    words = context.args or []
    radius = f" within {words[-1]} km" if len(words) > 1 and words[-1].isdigit() else ""
    place = " ".join(words[:-1] if radius else words)
    if not place:
        _, _, message = ids(update)
        await message.reply_html("Say which place: <code>/near Bakhmut 20</code>")
        return
    await _answer(update, context, f"what happened near {place}{radius}")


async def plain(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any text in a private chat is a question."""
    _, _, message = ids(update)
    await _answer(update, context, message.text or "")


async def addressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a group: a message that mentions the bot, or replies to it, is a question."""
    _, _, message = ids(update)
    me = context.bot.username
    text = message.text or ""
    mentioned = any(
        e.type == MessageEntityType.MENTION and message.parse_entity(e).lower() == f"@{me}".lower()
        for e in message.entities
    )
    reply = message.reply_to_message
    to_bot = (
        reply is not None and reply.from_user is not None and reply.from_user.id == context.bot.id
    )
    if not (mentioned or to_bot):
        return  # group talk not meant for the bot
    question = re.sub(rf"@{re.escape(me)}\b", " ", text, flags=re.IGNORECASE).strip()
    await _answer(update, context, question)


async def more(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The "More" / "Back" buttons: show another page of an answer by editing the message."""
    _, query, data = pressed(update, More)
    kept = recall(context, data.key)
    pages, rows = (kept.pages, kept.rows) if isinstance(kept, Paged) else (kept, ())
    if not isinstance(pages, list) or not 0 <= data.page < len(pages):
        await query.answer(More.expired, show_alert=True)
        return
    await query.answer()
    await query.edit_message_text(
        pages[data.page],
        parse_mode="HTML",
        reply_markup=_markup(data.key, data.page, len(pages), rows),
        disable_web_page_preview=True,
    )


async def pick(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A place picked from the buttons of an ambiguous or unknown place, or another place of
    the name an answer was for: answer for it (the answer it came with keeps its buttons)."""
    _, query, picked = pressed(update, Pick)
    kept = recall(context, picked.key)
    question = kept.question if isinstance(kept, Reask) else kept
    if not isinstance(question, str):
        await query.answer(Pick.expired, show_alert=True)
        return
    await query.answer()
    if not isinstance(kept, Reask):
        await query.edit_message_reply_markup(None)
    await _answer(update, context, question, near=str(picked.geonameid))
