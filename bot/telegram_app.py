"""Telegram wiring: the python-telegram-bot Application, its handlers and its safety nets."""

from __future__ import annotations

import logging
import re

from telegram import BotCommand
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.service import Service
from bot.settings import Settings, SettingsError

log = logging.getLogger(__name__)

COMMANDS = (
    BotCommand("ask", "ask what happened, e.g. /ask shelling near Siversk"),
    BotCommand("near", "what happened near a place: /near Bakhmut 20"),
    BotCommand("help", "what this bot does, with examples"),
)


class RedactToken(logging.Filter):
    """Replace the bot token in every log record (httpx logs request URLs that hold it)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._pattern = re.compile(re.escape(token))

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._pattern.search(message):
            record.msg = self._pattern.sub("<token>", message)
            record.args = ()
        return True


def build_telegram(service: Service, settings: Settings, token: str | None = None) -> Application:  # type: ignore[type-arg]
    """The Application, wired to ``service``; ``token`` defaults to the setting."""
    secret = token or (settings.telegram_token.get() if settings.telegram_token else None)
    if not secret:
        raise SettingsError("SITREP_TELEGRAM_TOKEN is not set")
    redact = RedactToken(secret)
    for name in ("httpx", "telegram", "telegram.ext", __name__):
        logging.getLogger(name).addFilter(redact)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
    api = settings.telegram_api_url.rstrip("/")

    async def post_init(application: Application) -> None:  # type: ignore[type-arg]
        await application.bot.set_my_commands(list(COMMANDS))

    application = (
        ApplicationBuilder()
        .token(secret)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(True)
        .post_init(post_init)
        .build()
    )
    application.bot_data["service"] = service
    from handlers import register

    register(application)
    return application
