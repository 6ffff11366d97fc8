"""The Bot API emulator, driven by python-telegram-bot's own Bot over HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, ChatMigrated, Conflict, Forbidden, NetworkError, RetryAfter

from bot.emulator.rules import ApiError
from bot.emulator.server import BotApiEmulator

pytestmark = pytest.mark.usefixtures("_timedelta_durations")

TOKEN = "123456:TEST-TOKEN"


@pytest.fixture
async def bot(emulator: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=f"{emulator.url}/bot") as b:
        yield b


@pytest.fixture
def api(emulator: BotApiEmulator) -> Iterator[httpx.Client]:
    """Raw Bot API calls: ``api.post("sendMessage", json={...})``."""
    with httpx.Client(base_url=f"{emulator.url}/bot{TOKEN}/", trust_env=False) as client:
        yield client


@dataclass
class Receiver:
    """A webhook endpoint: records each POST and answers the next scripted status (else 200)."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    posts: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on a free loopback port, stopped after the test."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.posts.append((dict(self.headers), json.loads(body)))
            self.send_response(state.statuses.pop(0) if state.statuses else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait for ``predicate()``; fail the test if it does not hold in time."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()  # never set: waits without time.sleep (EINVAL under libfaketime)
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        pause.wait(0.02)


def result(response: httpx.Response) -> Any:
    """The result of a successful Bot API answer."""
    body = response.json()
    assert response.status_code == 200 and body["ok"], body
    return body["result"]


def pending(api: httpx.Client) -> int:
    """Updates the emulator holds for the bot."""
    return int(result(api.post("getWebhookInfo"))["pending_update_count"])


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


def test_injected_5xx_reads_like_telegram(api: httpx.Client, emulator: BotApiEmulator) -> None:
    emulator.fail_next("sendMessage", times=2, code=500)
    for _ in range(2):
        answer = api.post("sendMessage", json={"chat_id": 100, "text": "hi"})
        assert answer.status_code == 500
        assert answer.json() == {
            "ok": False,
            "error_code": 500,
            "description": "Internal Server Error",
        }
    emulator.fail_next("sendMessage", code=502)
    bad_gateway = api.post("sendMessage", json={"chat_id": 100, "text": "hi"})
    assert (bad_gateway.status_code, bad_gateway.json()["description"]) == (502, "Bad Gateway")
    assert result(api.post("sendMessage", json={"chat_id": 100, "text": "hi"}))["text"] == "hi"
    assert len(emulator.bot_messages(100)) == 1


def test_a_swallowed_call_stores_nothing_and_is_answered_only_when_the_emulator_stops(
    api: httpx.Client, emulator: BotApiEmulator
) -> None:
    arrived = emulator.hold_next("sendMessage", skip=1)
    first = api.post("sendMessage", json={"chat_id": 100, "text": "first"})
    assert result(first)["text"] == "first"
    with ThreadPoolExecutor(1) as pool:
        second = pool.submit(api.post, "sendMessage", json={"chat_id": 100, "text": "second"})
        assert arrived.wait(10)
        assert not second.done()  # the caller is still waiting for an answer
        emulator.stop()
        assert second.result(10).status_code == 504
    assert [m.text for m in emulator.bot_messages(100)] == ["first"]


async def test_ptb_maps_injected_500_to_network_error(bot: Bot, emulator: BotApiEmulator) -> None:
    emulator.fail_next("sendMessage", code=500)
    with pytest.raises(NetworkError, match="Internal Server Error") as exc:
        await bot.send_message(100, "again")
    assert not isinstance(exc.value, RetryAfter)


def test_webhook_receives_updates_in_order_with_the_secret(
    api: httpx.Client, emulator: BotApiEmulator, receiver: Receiver
) -> None:
    hook = {"url": receiver.url, "secret_token": "s3cret-token_1"}
    assert result(api.post("setWebhook", json=hook)) is True
    assert result(api.post("getWebhookInfo")) == {
        "url": receiver.url,
        "has_custom_certificate": False,
        "pending_update_count": 0,
    }
    conflict = api.post("getUpdates", json={"timeout": 0})
    assert conflict.status_code == 409
    assert conflict.json()["error_code"] == 409
    assert conflict.json()["description"].startswith(
        "Conflict: can't use getUpdates method while webhook is active"
    )

    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    result(api.post("sendMessage", json={"chat_id": 7, "text": "pick", "reply_markup": markup}))
    emulator.user_says("/start", chat_id=7, user_id=7)
    emulator.user_says("what happened near Siversk?", chat_id=7, user_id=7)
    emulator.user_presses(emulator.bot_messages(7)[-1], "a", user_id=7)
    until(lambda: len(receiver.posts) == 3 and pending(api) == 0)

    headers = [h for h, _ in receiver.posts]
    updates = [u for _, u in receiver.posts]
    assert all(h["X-Telegram-Bot-Api-Secret-Token"] == "s3cret-token_1" for h in headers)
    assert all(h["Content-Type"] == "application/json" for h in headers)
    assert [u["update_id"] for u in updates] == sorted(u["update_id"] for u in updates)
    assert [u["message"]["text"] for u in updates[:2]] == ["/start", "what happened near Siversk?"]
    assert updates[2]["callback_query"]["data"] == "a"

    assert result(api.post("deleteWebhook")) is True
    assert result(api.post("getWebhookInfo"))["url"] == ""
    emulator.user_says("again", chat_id=7, user_id=7)
    polled = result(api.post("getUpdates", json={"timeout": 1}))
    assert [u["message"]["text"] for u in polled] == ["again"]
    assert len(receiver.posts) == 3


def test_webhook_without_secret_sends_no_secret_header(
    api: httpx.Client, emulator: BotApiEmulator, receiver: Receiver
) -> None:
    result(api.post("setWebhook", data={"url": receiver.url}))
    emulator.user_says("hello")
    until(lambda: len(receiver.posts) == 1)
    assert "X-Telegram-Bot-Api-Secret-Token" not in receiver.posts[0][0]


def test_webhook_drops_pending_and_filters_updates(
    api: httpx.Client, emulator: BotApiEmulator, receiver: Receiver
) -> None:
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    result(api.post("sendMessage", json={"chat_id": 100, "text": "pick", "reply_markup": markup}))
    emulator.user_says("before the webhook")
    assert pending(api) == 1
    # PTB sends booleans and lists form-encoded as JSON text.
    hook = {
        "url": receiver.url,
        "drop_pending_updates": "true",
        "allowed_updates": '["message"]',
    }
    result(api.post("setWebhook", data=hook))
    assert result(api.post("getWebhookInfo"))["allowed_updates"] == ["message"]
    emulator.user_presses(emulator.bot_messages(100)[-1], "a")
    emulator.user_says("after the webhook")
    until(lambda: len(receiver.posts) == 1 and pending(api) == 0)
    assert receiver.posts[0][1]["message"]["text"] == "after the webhook"


def test_webhook_retries_a_failed_post(
    api: httpx.Client, emulator: BotApiEmulator, receiver: Receiver
) -> None:
    receiver.statuses = [500, 503]
    result(api.post("setWebhook", json={"url": receiver.url}))
    emulator.user_says("first")
    emulator.user_says("second")
    until(lambda: len(receiver.posts) == 4 and pending(api) == 0)
    assert [u["message"]["text"] for _, u in receiver.posts] == [
        "first",
        "first",
        "first",
        "second",
    ]
    assert "503" in result(api.post("getWebhookInfo"))["last_error_message"]


def test_webhook_gives_up_on_an_update_after_its_attempts(receiver: Receiver) -> None:
    emulator = BotApiEmulator(webhook_attempts=2, webhook_retry_delay=0.01).start()
    try:
        receiver.statuses = [500, 500]
        emulator.call("setWebhook", {"url": receiver.url})
        emulator.user_says("lost")
        emulator.user_says("delivered")
        until(lambda: len(receiver.posts) == 3)
        assert [u["message"]["text"] for _, u in receiver.posts] == ["lost", "lost", "delivered"]
    finally:
        emulator.stop()


def test_setting_a_webhook_ends_a_running_long_poll(
    api: httpx.Client, emulator: BotApiEmulator, receiver: Receiver
) -> None:
    codes: list[int] = []

    def poll() -> None:
        try:
            emulator.call("getUpdates", {"timeout": 10})
        except ApiError as exc:
            codes.append(exc.code)

    poller = threading.Thread(target=poll)
    poller.start()
    until(lambda: "getUpdates" in emulator.calls)
    result(api.post("setWebhook", json={"url": receiver.url}))
    poller.join(2)
    assert codes == [409]


def test_bad_webhooks_are_refused(api: httpx.Client) -> None:
    for hook in (
        {"url": "file:///etc/passwd"},
        {"url": "http://127.0.0.1:9/hook", "secret_token": "no spaces"},
    ):
        assert api.post("setWebhook", json=hook).status_code == 400
    assert result(api.post("getWebhookInfo"))["url"] == ""


async def test_ptb_reads_webhook_info_and_conflict(
    bot: Bot, emulator: BotApiEmulator, receiver: Receiver
) -> None:
    assert await bot.set_webhook(receiver.url, secret_token="s3cret")
    info = await bot.get_webhook_info()
    assert (info.url, info.has_custom_certificate, info.pending_update_count) == (
        receiver.url,
        False,
        0,
    )
    with pytest.raises(Conflict):
        await bot.get_updates(timeout=0)
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates(timeout=0) == ()


async def test_blocked_chat_answers_403(
    api: httpx.Client, bot: Bot, emulator: BotApiEmulator
) -> None:
    sent = result(api.post("sendMessage", json={"chat_id": 5, "text": "hello"}))
    emulator.block(5)
    refused = {
        "ok": False,
        "error_code": 403,
        "description": "Forbidden: bot was blocked by the user",
    }
    for method, params in [
        ("sendMessage", {"chat_id": 5, "text": "still there?"}),
        ("editMessageText", {"chat_id": 5, "message_id": sent["message_id"], "text": "edited"}),
        ("sendChatAction", {"chat_id": 5, "action": "typing"}),
    ]:
        answer = api.post(method, json=params)
        assert (answer.status_code, answer.json()) == (403, refused)
    with pytest.raises(Forbidden):
        await bot.send_message(5, "via PTB")
    assert result(api.post("sendMessage", json={"chat_id": 6, "text": "other chat"}))
    emulator.unblock(5)
    assert result(api.post("sendMessage", json={"chat_id": 5, "text": "welcome back"}))
    assert [m.text for m in emulator.bot_messages(5)] == ["hello", "welcome back"]


async def test_migrated_group_answers_400_with_the_new_id(
    api: httpx.Client, bot: Bot, emulator: BotApiEmulator
) -> None:
    emulator.user_says("hi", chat_id=-200, kind="group", title="Ops room")
    emulator.migrate(-200, -1001234567890)
    answer = api.post("sendMessage", json={"chat_id": -200, "text": "report"})
    assert answer.status_code == 400
    assert answer.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: group chat was upgraded to a supergroup chat",
        "parameters": {"migrate_to_chat_id": -1001234567890},
    }
    with pytest.raises(ChatMigrated) as exc:
        await bot.send_message(-200, "report")
    assert exc.value.new_chat_id == -1001234567890
    sent = result(api.post("sendMessage", json={"chat_id": -1001234567890, "text": "report"}))
    assert sent["chat"] == {"id": -1001234567890, "type": "supergroup", "title": "Ops room"}
    assert [m.text for m in emulator.bot_messages(-1001234567890)] == ["report"]
    assert emulator.bot_messages(-200) == []


def test_group_message_carries_mention_and_command_entities(
    api: httpx.Client, emulator: BotApiEmulator
) -> None:
    text = "Привет 👋 @Sitrep_Bot what happened? cc me@sitrep_bot"
    emulator.user_says(text, chat_id=-300, user_id=9, kind="group", title="Ops room")
    emulator.user_says("/ask@sitrep_bot near Бахмут", chat_id=-300, user_id=9)
    first, second = (u["message"] for u in result(api.post("getUpdates", json={"timeout": 1})))
    assert first["chat"] == {"id": -300, "type": "group", "title": "Ops room"}
    assert second["chat"] == first["chat"]
    # The emoji is two UTF-16 code units: Telegram counts offsets in those.
    assert first["entities"] == [{"type": "mention", "offset": 10, "length": 11}]
    units = text.encode("utf-16-le")
    assert units[2 * 10 : 2 * 21].decode("utf-16-le") == "@Sitrep_Bot"
    assert second["entities"] == [{"type": "bot_command", "offset": 0, "length": 15}]


def test_reply_to_sets_reply_to_message(api: httpx.Client, emulator: BotApiEmulator) -> None:
    sent = result(api.post("sendMessage", json={"chat_id": -300, "text": "Bakhmut: 3 reports"}))
    [question] = emulator.bot_messages(-300)
    said = emulator.user_says("more?", chat_id=-300, kind="group", reply_to=question)
    assert said.reply_to_message_id == sent["message_id"]
    [update] = result(api.post("getUpdates", json={"timeout": 1}))
    replied = update["message"]["reply_to_message"]
    assert replied["message_id"] == sent["message_id"]
    assert replied["text"] == "Bakhmut: 3 reports"
    assert replied["from"]["is_bot"] is True
    with pytest.raises(ValueError, match="in the chat of the message"):
        emulator.user_says("elsewhere", chat_id=-301, reply_to=question)


def test_sent_at_records_when_each_message_was_accepted(
    api: httpx.Client, emulator: BotApiEmulator
) -> None:
    brackets = []
    for text in ("one", "two", "three"):
        before = time.monotonic()
        result(api.post("sendMessage", json={"chat_id": 100, "text": text}))
        brackets.append((before, time.monotonic()))
    times = [m.sent_at for m in emulator.bot_messages(100)]
    assert all(b <= t <= a for t, (b, a) in zip(times, brackets, strict=True))
