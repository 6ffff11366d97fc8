"""Telegram wiring: the python-telegram-bot Application, its jobs, handlers and safety nets."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, ExtBot

from bot.digests.delivery import DeliveryReport
from bot.feeds.poller import read_feed_list
from bot.render.text import poll_text
from bot.service import Service
from bot.settings import Settings, SettingsError, apply_telegram_env
from bot.telegram.notifier import TelegramNotifier
from bot.telegram.updates import ChatOrderedProcessor
from handlers import menu, register

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]


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


class MessageRateLimiter(AIORateLimiter):
    """Telegram's flood limits (30 messages a second, 20 a minute per group) are about
    messages: "typing" is sent at once instead of queueing with the answers it announces.
    A 429 for it is logged and forgotten; it is best effort anyway."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Pass chat actions straight through; everything else is paced and retried."""
        if endpoint == "sendChatAction":
            return await callback(*args, **kwargs)
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )


def _protect_token(secret: str) -> None:
    redact = RedactToken(secret)
    for name in ("httpx", "telegram", "telegram.ext", "apscheduler", __name__):
        logging.getLogger(name).addFilter(redact)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)


def _token(settings: Settings, token: str | None = None) -> str:
    """The bot token (``token``, else the setting), kept out of every log from now on."""
    apply_telegram_env()
    secret = token or (settings.telegram_token.get() if settings.telegram_token else None)
    if not secret:
        raise SettingsError("SITREP_TELEGRAM_TOKEN is not set")
    _protect_token(secret)
    return secret


def _rate_limiter() -> MessageRateLimiter:
    return MessageRateLimiter(max_retries=3)


async def _digest_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    service: Service = context.application.bot_data["service"]
    for report in await service.digests.tick():
        log.info("digest for chat %d: %s (%d items)", report.chat_id, report.status, report.items)


async def _feed_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    service: Service = context.application.bot_data["service"]
    for outcome in await service.poll_feeds():
        log.info("feed %s", poll_text(outcome))


def build_telegram(service: Service, settings: Settings, token: str | None = None) -> Application:  # type: ignore[type-arg]
    """The Application, wired to ``service``; ``token`` defaults to the setting.

    Jobs (the digest tick and feed polling) are made here from settings; what they act on
    lives in SQLite, so a restart loses nothing.
    """
    secret = _token(settings, token)
    api = settings.telegram_api_url.rstrip("/")

    async def post_init(application: Application) -> None:  # type: ignore[type-arg]
        await application.bot.set_my_commands(menu())
        service.connect(TelegramNotifier(application.bot))
        service.app.feeds.follow(read_feed_list(settings.feeds_file))
        jobs = application.job_queue
        assert jobs is not None
        once = {"max_instances": 1, "coalesce": True}
        jobs.run_repeating(
            _digest_job,
            timedelta(seconds=settings.digest_tick_s),
            first=1.0,
            name="digests",
            job_kwargs=once,
        )
        jobs.run_repeating(
            _feed_job,
            timedelta(seconds=settings.feeds_tick_s),
            first=2.0,
            name="feeds",
            job_kwargs=once,
        )

    application = (
        ApplicationBuilder()
        .token(secret)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .rate_limiter(_rate_limiter())
        .concurrent_updates(ChatOrderedProcessor())
        .post_init(post_init)
        .build()
    )
    application.bot_data["service"] = service
    register(application)
    return application


def webhook_options(settings: Settings) -> dict[str, Any]:
    """What ``run_webhook`` / ``start_webhook`` take, from the ``webhook_*`` settings.

    Telegram posts to ``webhook_url``; the bot listens on ``webhook_listen:webhook_port``
    (behind the platform's HTTPS proxy) at the URL's path, and checks the secret header.
    """
    secret = settings.webhook_secret.get() if settings.webhook_secret else None
    if not secret:
        raise SettingsError("SITREP_WEBHOOK_SECRET is required with SITREP_WEBHOOK_URL")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise SettingsError("SITREP_WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and -")
    if urlsplit(settings.webhook_url).scheme not in ("https", "http"):
        raise SettingsError(f"SITREP_WEBHOOK_URL is not a URL: {settings.webhook_url!r}")
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": urlsplit(settings.webhook_url).path.strip("/"),
        "webhook_url": settings.webhook_url,
        "secret_token": secret,
    }


def run(service: Service, settings: Settings) -> None:
    """Run the bot on Telegram until stopped: a webhook if one is set, else long polling."""
    application = build_telegram(service, settings)
    if settings.webhook_url:
        application.run_webhook(**webhook_options(settings))
    else:
        application.run_polling()


async def send_digest(service: Service, settings: Settings, chat_id: int) -> DeliveryReport:
    """``sitrep digest --chat ID``: send one chat its pending digest through the Bot API."""
    api = settings.telegram_api_url.rstrip("/")
    bot = ExtBot(_token(settings), base_url=f"{api}/bot", rate_limiter=_rate_limiter())
    async with bot:
        service.connect(TelegramNotifier(bot))
        return await service.digests.send_now(chat_id)
