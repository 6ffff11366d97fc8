"""The real python-telegram-bot Application (httpx, rate limiter) against the emulator."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from botkit import TOKEN, bot_running, replies
from telegram.ext import Application

from bot.app import App
from bot.emulator.markup import plain_text
from bot.emulator.server import BotApiEmulator
from conftest import sample_records, write_jsonl

pytestmark = pytest.mark.usefixtures("_timedelta_durations")


@pytest.fixture
async def running(
    fast_app: App, emulator: BotApiEmulator, tmp_path: Path
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    fast_app.ingest([str(write_jsonl(tmp_path / "c.jsonl", sample_records()))])
    async with bot_running(fast_app, emulator) as application:
        yield application


async def test_start_shows_the_commands(running: Application, emulator: BotApiEmulator) -> None:  # type: ignore[type-arg]
    assert {c["command"] for c in emulator.commands} >= {"ask", "near", "help"}
    emulator.user_says("/start", chat_id=11, user_id=11)
    [reply] = await replies(emulator, 11, 1)
    assert "/ask" in reply.text and "/near" in reply.text


async def test_question_in_a_variant_spelling_gets_cited_passages(
    running: Application,
    emulator: BotApiEmulator,  # type: ignore[type-arg]
) -> None:
    emulator.user_says("what happened near Seversk?", chat_id=12, user_id=12)
    sent = await replies(emulator, 12, 1)  # one page; "More" shows the rest
    shown = "\n".join(plain_text(r.text, r.parse_mode) for r in sent)
    assert all(len(plain_text(r.text, r.parse_mode)) <= 4096 for r in sent)
    assert "Siversk (Donetsk, UA), within 15 km" in shown
    assert "[1]" in shown and "https://example" in sent[0].text
    assert (12, "typing") in emulator.actions


async def test_hostile_question_gets_a_valid_reply(
    running: Application,
    emulator: BotApiEmulator,  # type: ignore[type-arg]
) -> None:
    emulator.user_says("/ask <b> & </a> Bakhmut " + "x" * 5000, chat_id=13, user_id=13)
    replies_ = await replies(emulator, 13, 1)
    for r in replies_:
        assert len(plain_text(r.text, r.parse_mode)) <= 4096


async def test_a_429_is_waited_out(
    running: Application,
    emulator: BotApiEmulator,  # type: ignore[type-arg]
) -> None:
    emulator.fail_next("sendMessage", times=2, code=429, retry_after=1)
    emulator.user_says("/near Bakhmut 20", chat_id=14, user_id=14)
    reply = (await replies(emulator, 14, 1, timeout=20))[0]
    assert "Bakhmut (Donetsk, UA), within 20 km" in plain_text(reply.text, "HTML")
    assert emulator.calls.count("sendMessage") >= 3


async def test_the_token_never_reaches_the_logs(
    running: Application,
    emulator: BotApiEmulator,
    caplog: pytest.LogCaptureFixture,  # type: ignore[type-arg]
) -> None:
    caplog.set_level(logging.DEBUG)
    emulator.user_says("/start", chat_id=15, user_id=15)
    await replies(emulator, 15, 1)
    assert any("<token>" in r.getMessage() for r in caplog.records)  # URLs were logged...
    assert all(TOKEN not in r.getMessage() for r in caplog.records)  # ...without the token


async def test_local_chat_in_the_terminal(fast_app: App, tmp_path: Path) -> None:
    from io import StringIO

    from bot.telegram.local import local_chat

    fast_app.ingest([str(write_jsonl(tmp_path / "c.jsonl", sample_records()))])
    stdin = StringIO("/help\nnews from Kharkov\n/quit\n")
    stdout = StringIO()
    await local_chat(fast_app, fast_app.settings, stdin, stdout)
    out = stdout.getvalue()
    assert "bot> Sitrep answers questions" in out
    assert "Kharkiv (Kharkiv, UA), within 15 km" in out and "[1]" in out
