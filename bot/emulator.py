"""A local Telegram Bot API emulator: the bot runs and is tested against it without Telegram.

It speaks the Bot API over HTTP on 127.0.0.1 (``POST /bot<token>/<method>``, form or JSON
parameters, ``{"ok": ..., "result": ...}`` answers) and rejects what Telegram rejects: text
over 4096 characters after entity parsing, HTML it cannot parse, callback data over 64 bytes,
an edit that changes nothing. A simulated user sends messages, presses buttons and shares
locations; tests can make the next calls answer 429 (with ``retry_after``) or 500.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

log = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
# Tags Telegram's HTML parse mode accepts (https://core.telegram.org/bots/api#html-style).
_TAG_AT = re.compile(r"</?[a-zA-Z][a-zA-Z-]*(?:\s[^<>]*)?>")
_ENTITY_AT = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_TAGS = frozenset(
    "b strong i em u ins s strike del a code pre span tg-spoiler tg-emoji blockquote".split()
)


class ApiError(Exception):
    """An error answer: HTTP status = Telegram's error_code."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


class _HtmlCheck(HTMLParser):
    """Parses Telegram HTML like Telegram: known tags only, balanced; returns the plain text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAGS:
            raise ApiError(
                400, f'Bad Request: can\'t parse entities: unsupported start tag "{tag}"'
            )
        if tag == "a" and not dict(attrs).get("href"):
            raise ApiError(400, "Bad Request: can't parse entities: a tag without href")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise ApiError(400, f'Bad Request: can\'t parse entities: unexpected end tag "{tag}"')
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def plain_text(text: str, parse_mode: str | None) -> str:
    """The text a user sees, after checking the markup as Telegram does."""
    if parse_mode is None or parse_mode.upper() != "HTML":
        return text
    for m in re.finditer(r"[<&]", text):
        pattern = _TAG_AT if m.group() == "<" else _ENTITY_AT
        if not pattern.match(text, m.start()):
            what = "tag" if m.group() == "<" else "entity"
            raise ApiError(
                400,
                f'Bad Request: can\'t parse entities: unescaped "{m.group()}" '
                f"(not a {what}) at byte offset {len(text[: m.start()].encode())}",
            )
    parser = _HtmlCheck()
    parser.feed(text)
    parser.close()
    if parser.stack:
        raise ApiError(
            400, f'Bad Request: can\'t parse entities: unclosed start tag "{parser.stack[-1]}"'
        )
    return "".join(parser.text)


@dataclass
class Message:
    """A message as the emulator stores it."""

    message_id: int
    chat_id: int
    text: str
    from_bot: bool
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    date: int = field(default_factory=lambda: int(time.time()))
    location: tuple[float, float] | None = None


class BotApiEmulator:
    """The emulator's state and API; :meth:`start` serves it, :meth:`stop` ends it."""

    def __init__(self, bot_username: str = "sitrep_bot") -> None:
        self.bot_username = bot_username
        self.bot_id = 1_000_001
        self.messages: list[Message] = []
        self.actions: list[tuple[int, str]] = []
        self.commands: list[dict[str, str]] = []
        self.callback_answers: list[dict[str, Any]] = []
        self._updates: list[dict[str, Any]] = []
        self._next_update = 1
        self._next_message = 1
        self._failures: list[tuple[str, int, int | None]] = []  # (method, code, retry_after)
        self._cond = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self.calls: list[str] = []

    # -- serving ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL for the bot: the bot calls ``{url}/bot<token>/<method>``."""
        assert self._server is not None, "start() the emulator first"
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def start(self, port: int = 0) -> BotApiEmulator:
        """Serve on 127.0.0.1 (a free port unless given) in a background thread."""
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                emulator._serve(self)

            do_GET = do_POST

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving and wake every waiting long poll."""
        with self._cond:
            self._cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0]
        parts = path.strip("/").split("/")
        status, body = 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        if len(parts) == 2 and parts[0].startswith("bot") and len(parts[0]) > 3:
            length = int(request.headers.get("Content-Length") or 0)
            raw = request.rfile.read(length) if length else b""
            try:
                params = _params(raw, request.headers.get("Content-Type", ""), request.path)
                result = self.call(parts[1], params)
                status, body = 200, {"ok": True, "result": result}
            except ApiError as exc:
                status = exc.code
                body = {"ok": False, "error_code": exc.code, "description": exc.description}
                if exc.retry_after is not None:
                    body["parameters"] = {"retry_after": exc.retry_after}
        data = json.dumps(body).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("the client hung up before %s got its answer", parts[-1])

    # -- test controls -----------------------------------------------------------------

    def fail_next(self, method: str, times: int = 1, code: int = 429, retry_after: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` fail (429 with retry_after, or 5xx)."""
        with self._cond:
            for _ in range(times):
                self._failures.append((method, code, retry_after if code == 429 else None))

    # -- the simulated user ------------------------------------------------------------

    def _user(self, user_id: int, name: str) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": name}

    def _chat(self, chat_id: int, kind: str) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id, "type": kind}
        if kind == "private":
            chat["first_name"] = "User"
        else:
            chat["title"] = f"Group {chat_id}"
        return chat

    def _push(self, update: dict[str, Any]) -> int:
        with self._cond:
            update["update_id"] = self._next_update
            self._next_update += 1
            self._updates.append(update)
            self._cond.notify_all()
            return int(update["update_id"])

    def user_says(
        self,
        text: str,
        chat_id: int = 100,
        user_id: int = 100,
        kind: str = "private",
        name: str = "User",
    ) -> Message:
        """A user sends ``text`` (a command if it starts with /); returns the stored message."""
        msg = self._store(chat_id, text, from_bot=False)
        payload: dict[str, Any] = {
            "message_id": msg.message_id,
            "date": msg.date,
            "chat": self._chat(chat_id, kind),
            "from": self._user(user_id, name),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            payload["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        self._push({"message": payload})
        return msg

    def user_shares_location(
        self, lat: float, lon: float, chat_id: int = 100, user_id: int = 100
    ) -> None:
        """A user shares a location pin."""
        msg = self._store(chat_id, "", from_bot=False)
        msg.location = (lat, lon)
        self._push(
            {
                "message": {
                    "message_id": msg.message_id,
                    "date": msg.date,
                    "chat": self._chat(chat_id, "private"),
                    "from": self._user(user_id, "User"),
                    "location": {"latitude": lat, "longitude": lon},
                }
            }
        )

    def user_presses(self, message: Message, data: str, user_id: int = 100) -> None:
        """A user presses the inline button carrying ``data`` under a bot message."""
        buttons = [
            b for row in (message.reply_markup or {}).get("inline_keyboard", []) for b in row
        ]
        if not any(b.get("callback_data") == data for b in buttons):
            raise ValueError(f"no button with callback data {data!r} under that message")
        self._push(
            {
                "callback_query": {
                    "id": str(self._next_update),
                    "from": self._user(user_id, "User"),
                    "chat_instance": str(message.chat_id),
                    "data": data,
                    "message": self._message_json(message),
                }
            }
        )

    def bot_messages(self, chat_id: int | None = None) -> list[Message]:
        """Messages the bot sent (or last edited), oldest first."""
        with self._cond:
            return [
                m for m in self.messages if m.from_bot and (chat_id is None or m.chat_id == chat_id)
            ]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Wait until ``predicate()`` holds (the bot answered), at most ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    # -- the Bot API -------------------------------------------------------------------

    def _store(self, chat_id: int, text: str, from_bot: bool, **kw: Any) -> Message:
        with self._cond:
            msg = Message(self._next_message, chat_id, text, from_bot, **kw)
            self._next_message += 1
            self.messages.append(msg)
            self._cond.notify_all()
            return msg

    def _message_json(self, m: Message) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message_id": m.message_id,
            "date": m.date,
            "chat": self._chat(m.chat_id, "private" if m.chat_id > 0 else "group"),
        }
        if m.from_bot:
            out["from"] = {
                "id": self.bot_id,
                "is_bot": True,
                "first_name": "Sitrep",
                "username": self.bot_username,
            }
        if m.location:
            out["location"] = {"latitude": m.location[0], "longitude": m.location[1]}
        else:
            out["text"] = plain_text(m.text, m.parse_mode)
        if m.reply_markup:
            out["reply_markup"] = m.reply_markup
        return out

    def call(self, method: str, params: dict[str, Any]) -> Any:
        """Answer one Bot API call (raises ApiError as Telegram would answer an error)."""
        with self._cond:
            self.calls.append(method)
            for i, (name, code, retry) in enumerate(self._failures):
                if name == method:
                    del self._failures[i]
                    text = (
                        f"Too Many Requests: retry after {retry}"
                        if code == 429
                        else "Internal Server Error"
                    )
                    raise ApiError(code, text, retry)
        handler = getattr(self, "_api_" + method.lower(), None)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        return handler(params)

    def _api_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Sitrep",
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _api_deletewebhook(self, params: dict[str, Any]) -> bool:
        return True

    def _api_setmycommands(self, params: dict[str, Any]) -> bool:
        commands = _json(params.get("commands"), "commands")
        if not isinstance(commands, list) or not all(
            isinstance(c, dict) and c.get("command") and c.get("description") for c in commands
        ):
            raise ApiError(400, "Bad Request: commands must be a list of command, description")
        self.commands = commands
        return True

    def _api_getmycommands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        return self.commands

    def _api_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 30.0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + timeout
        with self._cond:
            if offset:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and self._server is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.25))
            return [dict(u) for u in self._updates[:limit]]

    def _reply_markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        markup = _json(params.get("reply_markup"), "reply_markup")
        if markup is None:
            return None
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and len(str(data).encode()) > MAX_CALLBACK_DATA:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return dict(markup)

    def _checked_text(self, params: dict[str, Any]) -> tuple[str, str | None]:
        text = str(params.get("text") or "")
        mode = params.get("parse_mode")
        shown = plain_text(text, mode)
        if not shown.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(shown) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return text, mode

    def _api_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        text, mode = self._checked_text(params)
        msg = self._store(
            chat_id, text, True, parse_mode=mode, reply_markup=self._reply_markup(params)
        )
        return self._message_json(msg)

    def _api_sendlocation(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._store(int(params["chat_id"]), "", True, reply_markup=self._reply_markup(params))
        msg.location = (float(params["latitude"]), float(params["longitude"]))
        return self._message_json(msg)

    def _find(self, params: dict[str, Any]) -> Message:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        for m in self.messages:
            if m.chat_id == chat_id and m.message_id == message_id:
                if not m.from_bot:
                    raise ApiError(400, "Bad Request: message can't be edited")
                return m
        raise ApiError(400, "Bad Request: message to edit not found")

    def _api_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._find(params)
        text, mode = self._checked_text(params)
        markup = self._reply_markup(params)
        if (text, mode, markup) == (msg.text, msg.parse_mode, msg.reply_markup):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message "
                "content and reply markup are exactly the same as a current "
                "content and reply markup of the message",
            )
        with self._cond:
            msg.text, msg.parse_mode, msg.reply_markup = text, mode, markup
            self._cond.notify_all()
        return self._message_json(msg)

    def _api_editmessagereplymarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._find(params)
        markup = self._reply_markup(params)
        if markup == msg.reply_markup:
            raise ApiError(400, "Bad Request: message is not modified")
        with self._cond:
            msg.reply_markup = markup
            self._cond.notify_all()
        return self._message_json(msg)

    def _api_answercallbackquery(self, params: dict[str, Any]) -> bool:
        self.callback_answers.append(dict(params))
        return True

    def _api_sendchataction(self, params: dict[str, Any]) -> bool:
        self.actions.append((int(params["chat_id"]), str(params.get("action"))))
        return True


def _json(value: Any, name: str) -> Any:
    if value is None or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from exc


def _params(raw: bytes, content_type: str, path: str) -> dict[str, Any]:
    """Parameters from a JSON body, a form body, or the query string."""
    params: dict[str, Any] = {}
    if "?" in path:
        params.update(parse_qsl(path.split("?", 1)[1]))
    if not raw:
        return params
    if "json" in content_type:
        try:
            body = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ApiError(400, "Bad Request: invalid JSON body") from exc
        if isinstance(body, dict):
            params.update(body)
        return params
    if "multipart" in content_type:
        raise ApiError(400, "Bad Request: file uploads are not emulated")
    params.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    return params
