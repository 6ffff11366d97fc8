"""Errors of the bot layer: delivering messages, and what a chat asked that cannot be done."""

from __future__ import annotations

from index.errors import SitrepError


class DeliveryError(SitrepError):
    """A message could not be delivered to a chat."""


class ChatBlocked(DeliveryError):
    """The chat blocked the bot or removed it: stop sending, do not retry."""


class ChatMoved(DeliveryError):
    """A group became a supergroup: send again to ``new_chat_id``."""

    def __init__(self, new_chat_id: int) -> None:
        super().__init__(f"the chat moved to {new_chat_id}")
        self.new_chat_id = new_chat_id


class SendRefused(DeliveryError):
    """Telegram refused this message as it is (400): sending it again cannot succeed."""


class SendFailed(DeliveryError):
    """Telegram refused or could not be reached for now (429, 5xx, network): try later."""


class NotAllowed(SitrepError):
    """The user or chat may not do this (an admin command, a private address)."""
