"""The Bot API emulator, driven by python-telegram-bot's own Bot over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, RetryAfter

from bot.emulator import BotApiEmulator

pytestmark = pytest.mark.usefixtures("_timedelta_durations")

TOKEN = "123456:TEST-TOKEN"


@pytest.fixture
async def bot(emulator: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=f"{emulator.url}/bot") as b:
        yield b


async def test_get_me_commands_and_messages(bot: Bot, emulator: BotApiEmulator) -> None:
    me = await bot.get_me()
    assert me.username == "sitrep_bot"
    await bot.set_my_commands([BotCommand("ask", "ask a question")])
    assert emulator.commands == [{"command": "ask", "description": "ask a question"}]
    sent = await bot.send_message(100, "<b>Bakhmut</b> &amp; Soledar", parse_mode="HTML")
    assert sent.text == "Bakhmut & Soledar"
    assert emulator.bot_messages(100)[-1].text == "<b>Bakhmut</b> &amp; Soledar"


@pytest.mark.parametrize(
    "text", ["<b>unclosed", "a & b", "</a>", "<script>x</script>", "1 < 2", "x" * 4097]
)
async def test_telegram_refusals(bot: Bot, text: str) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(100, text, parse_mode="HTML")


async def test_edits_buttons_and_callback_limits(bot: Bot, emulator: BotApiEmulator) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more:1")]])
    sent = await bot.send_message(100, "page 1", reply_markup=markup)
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text(
            "page 1", chat_id=100, message_id=sent.message_id, reply_markup=markup
        )
    edited = await bot.edit_message_text("page 2", chat_id=100, message_id=sent.message_id)
    assert edited.text == "page 2"
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="y" * 65)]])
    with pytest.raises(BadRequest):
        await bot.send_message(100, "buttons", reply_markup=too_long)


async def test_updates_long_poll_and_offset(bot: Bot, emulator: BotApiEmulator) -> None:
    emulator.user_says("/start", chat_id=7, user_id=7)
    emulator.user_says("what happened near Siversk?", chat_id=7, user_id=7)
    updates = await bot.get_updates(timeout=1)
    assert [u.message.text for u in updates] == ["/start", "what happened near Siversk?"]
    assert updates[0].message.entities[0].type == "bot_command"
    again = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    assert again == ()
    sent = await bot.send_message(
        7,
        "pick",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]]),
    )
    emulator.user_presses(emulator.bot_messages(7)[-1], "a", user_id=7)
    [press] = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=1)
    assert (
        press.callback_query.data == "a"
        and press.callback_query.message.message_id == sent.message_id
    )


async def test_injected_429_and_500(bot: Bot, emulator: BotApiEmulator) -> None:
    emulator.fail_next("sendMessage", times=1, code=429, retry_after=3)
    with pytest.raises(RetryAfter) as exc:
        await bot.send_message(100, "hello")
    assert (
        exc.value.retry_after.total_seconds() == 3
        if hasattr(exc.value.retry_after, "total_seconds")
        else exc.value.retry_after == 3
    )
    assert (await bot.send_message(100, "hello")).text == "hello"
    emulator.fail_next("sendMessage", times=1, code=500)
    with pytest.raises(Exception):  # noqa: B017 - PTB maps 5xx to a NetworkError subclass
        await bot.send_message(100, "again")
    assert len(emulator.bot_messages(100)) == 1
