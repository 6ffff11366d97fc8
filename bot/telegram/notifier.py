"""Digests to Telegram: render a domain digest as HTML messages and send them, turning
Telegram's errors into the delivery error tree."""

from __future__ import annotations

import re

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from bot.digests.delivery import Outgoing
from bot.domain.digests import Digest
from bot.errors import ChatBlocked, ChatMoved, SendFailed, SendRefused
from bot.render import html as render

_GONE = re.compile(
    r"chat not found|not enough rights|have no rights|kicked|deactivated", re.I
)  # a Bot API result, as python-telegram-bot types it


class TelegramNotifier:
    """Sends digests through the bot; Telegram's errors become the delivery error tree."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    def compose(self, digest: Digest) -> list[Outgoing]:
        """The digest as Telegram HTML messages under the length limit, headings kept with
        their items."""
        return [Outgoing(text, tuple(ids)) for text, ids in render.digest_messages(digest)]

    async def send(self, chat_id: int, message: Outgoing) -> int:
        """Send one HTML message (the rate limiter paces it and waits out 429s)."""
        try:
            sent = await self.bot.send_message(
                chat_id, message.body, parse_mode=ParseMode.HTML, disable_web_page_preview=True
            )
        except Forbidden as exc:
            raise ChatBlocked(str(exc)) from exc
        except ChatMigrated as exc:
            raise ChatMoved(exc.new_chat_id) from exc
        except BadRequest as exc:
            if _GONE.search(str(exc)):  # the chat is gone or the bot may not write there
                raise ChatBlocked(str(exc)) from exc
            raise SendRefused(str(exc)) from exc
        except (RetryAfter, NetworkError) as exc:  # NetworkError covers timeouts and 5xx
            raise SendFailed(str(exc)) from exc
        return sent.message_id
