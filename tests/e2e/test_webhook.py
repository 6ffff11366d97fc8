"""Webhook mode: the emulator posts updates to the bot's own HTTP endpoint, with the secret."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from botkit import TOKEN, replies, shown

from bot.app import App
from bot.emulator.server import BotApiEmulator
from bot.service import Service
from bot.settings import Secret, SettingsError
from bot.telegram.app import build_telegram, webhook_options
from conftest import sample_records, write_jsonl

pytestmark = pytest.mark.usefixtures("_timedelta_durations")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_bot_answers_through_its_webhook(
    fast_app: App, emulator: BotApiEmulator, tmp_path: Path
) -> None:
    fast_app.ingest([str(write_jsonl(tmp_path / "c.jsonl", sample_records()))])
    port = free_port()
    settings = fast_app.settings.replace(
        telegram_api_url=emulator.url,
        webhook_url=f"http://127.0.0.1:{port}/telegram/hook",
        webhook_secret=Secret("s3cret-Value_1"),
        webhook_listen="127.0.0.1",
        webhook_port=port,
    )
    application = build_telegram(Service(fast_app), settings, token=TOKEN)
    async with application:
        await application.post_init(application)  # type: ignore[misc]
        await application.start()
        assert application.updater is not None
        options = webhook_options(settings)
        await application.updater.start_webhook(**options)
        try:
            assert emulator.webhook is not None
            assert emulator.webhook.url == f"http://127.0.0.1:{port}/telegram/hook"
            assert emulator.webhook.secret_token == "s3cret-Value_1"
            emulator.user_says("news from Kharkov", chat_id=51, user_id=51)
            [answer] = await replies(emulator, 51, 1)
            assert "Kharkiv (Kharkiv, UA)" in shown(answer)
        finally:
            await application.updater.stop()
            await application.stop()


def test_webhook_settings_are_checked(fast_app: App) -> None:
    base = fast_app.settings.replace(webhook_url="https://bot.example.org/hook")
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET is required"):
        webhook_options(base)
    with pytest.raises(SettingsError, match="only A-Z"):
        webhook_options(base.replace(webhook_secret=Secret("bad secret!")))
    ok = webhook_options(base.replace(webhook_secret=Secret("abc")))
    assert ok["url_path"] == "hook" and ok["port"] == 8443
