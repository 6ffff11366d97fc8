"""Telegram's rules for Bot API calls: limits, markup, entities, and the errors it answers."""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Any

from bot.emulator.markup import MarkupError, plain_text

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # a webhook's secret_token
COMMAND_AT = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]+)?(?![A-Za-z0-9_])")


class ApiError(Exception):
    """An error answer: HTTP status = Telegram's error_code."""

    def __init__(
        self,
        code: int,
        description: str,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    @property
    def parameters(self) -> dict[str, int]:
        """Telegram's ResponseParameters for this error; empty when it has none."""
        params: dict[str, int] = {}
        if self.retry_after is not None:
            params["retry_after"] = self.retry_after
        if self.migrate_to_chat_id is not None:
            params["migrate_to_chat_id"] = self.migrate_to_chat_id
        return params


def checked_text(params: dict[str, Any]) -> tuple[str, str | None]:
    """(text, parse mode) of a send or edit, refused as Telegram refuses it: bad markup,
    nothing to show, or over 4096 characters once the markup is parsed."""
    text = str(params.get("text") or "")
    mode = params.get("parse_mode")
    try:
        shown = plain_text(text, mode)
    except MarkupError as exc:
        raise ApiError(400, f"Bad Request: {exc}") from exc
    if not shown.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if len(shown) > MAX_TEXT:
        raise ApiError(400, "Bad Request: message is too long")
    return text, mode


def reply_markup(params: dict[str, Any]) -> dict[str, Any] | None:
    """The inline keyboard of a send or edit, refused as Telegram refuses bad callback data."""
    markup = parse_json(params.get("reply_markup"), "reply_markup")
    if markup is None:
        return None
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and len(str(data).encode()) > MAX_CALLBACK_DATA:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return dict(markup)


def entities(text: str, bot_username: str) -> list[dict[str, Any]]:
    """The bot_command and bot mention entities Telegram would attach, in UTF-16 units."""
    spans: list[tuple[str, int, int]] = []
    command = COMMAND_AT.match(text)
    if command:
        spans.append(("bot_command", 0, command.end()))
    mention = re.compile(
        rf"(?<![A-Za-z0-9_@])@{re.escape(bot_username)}(?![A-Za-z0-9_])", re.IGNORECASE
    )
    for m in mention.finditer(text):
        # "/ask@sitrep_bot" is one bot_command, not a command and a mention.
        if not command or m.start() >= command.end():
            spans.append(("mention", m.start(), m.end()))
    return [
        {
            "type": kind,
            "offset": utf16_len(text[:start]),
            "length": utf16_len(text[start:end]),
        }
        for kind, start, end in spans
    ]


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def flag(value: Any) -> bool:
    """A boolean parameter, sent as JSON ``true`` in a form or as a JSON body's bool."""
    return value is True or str(value).lower() in ("true", "1")


def failure_text(code: int, retry_after: int | None) -> str:
    """The description Telegram gives with an injected error code."""
    if code == 429:
        return f"Too Many Requests: retry after {retry_after}"
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Internal Server Error"


def parse_json(value: Any, name: str) -> Any:
    """A parameter sent as JSON text (form-encoded) or already decoded (a JSON body)."""
    if value is None or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from exc
