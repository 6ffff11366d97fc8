"""The emulated Bot API: chats, messages, updates and the simulated user, by Telegram's rules."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bot.emulator import rules
from bot.emulator.markup import plain_text
from bot.emulator.rules import ApiError

_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


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
    # time.monotonic() when the emulator accepted it: tests check the bot's pacing with it.
    sent_at: float = field(default_factory=time.monotonic)
    reply_to_message_id: int | None = None


@dataclass(frozen=True)
class Webhook:
    """A webhook as setWebhook stored it."""

    url: str
    secret_token: str | None = None
    allowed_updates: tuple[str, ...] = ()


@dataclass
class _Hold:
    """A call :meth:`BotApi.hold_next` will swallow: the first of ``method`` after ``skip``."""

    method: str
    skip: int
    arrived: threading.Event


class BotApi:
    """The Bot API's state and methods, called in process (:meth:`call`); the emulator serves
    them over HTTP. Every method may be called from any thread."""

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
        self._holds: list[_Hold] = []
        self._cond = threading.Condition()
        self.calls: list[str] = []
        self._chats: dict[int, dict[str, Any]] = {}
        self._blocked: set[int] = set()
        self._migrated: dict[int, int] = {}
        self._webhook: Webhook | None = None
        self._webhook_error: tuple[int, str] | None = None  # (unix time, message), as Telegram
        self._open = False  # long polls wait only while the emulator serves

    def _webhook_set(self) -> None:
        """Called (lock held) when setWebhook stored a webhook: the server starts delivering."""

    # -- test controls -----------------------------------------------------------------

    def fail_next(self, method: str, times: int = 1, code: int = 429, retry_after: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` fail (429 with retry_after, or 5xx)."""
        with self._cond:
            for _ in range(times):
                self._failures.append((method, code, retry_after if code == 429 else None))

    def hold_next(self, method: str, skip: int = 0) -> threading.Event:
        """Swallow one call of ``method``, the one after the next ``skip``: it never reaches
        Telegram (nothing is stored), and its caller gets no answer until the emulator stops
        (then a 504). The returned event is set when that call arrives, so a test can kill
        the bot while it waits for an answer."""
        arrived = threading.Event()
        with self._cond:
            self._holds.append(_Hold(method, skip, arrived))
        return arrived

    def block(self, chat_id: int) -> None:
        """The user blocks the bot: every send and edit to ``chat_id`` answers 403."""
        with self._cond:
            self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """The user unblocks the bot in ``chat_id``."""
        with self._cond:
            self._blocked.discard(chat_id)

    def migrate(self, chat_id: int, new_chat_id: int) -> None:
        """Upgrade group ``chat_id`` to supergroup ``new_chat_id``: the old id answers 400."""
        if new_chat_id == chat_id:
            raise ValueError("a migrated group needs a new chat id")
        with self._cond:
            title = self._chat(chat_id, default="group").get("title")
            self._chat(new_chat_id, "supergroup", title)
            self._migrated[chat_id] = new_chat_id

    @property
    def webhook(self) -> Webhook | None:
        """The webhook setWebhook stored, or None while the bot polls."""
        with self._cond:
            return self._webhook

    # -- the simulated user ------------------------------------------------------------

    def _user(self, user_id: int, name: str) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": name}

    def _chat(
        self,
        chat_id: int,
        kind: str | None = None,
        title: str | None = None,
        *,
        default: str | None = None,
    ) -> dict[str, Any]:
        """The chat as updates show it: as ``kind`` and ``title`` say, else as last seen."""
        with self._cond:
            known = self._chats.get(chat_id, {})
            if known and kind is None and title is None:
                return dict(known)
            # Telegram numbers users and bots positive, groups negative.
            kind = kind or known.get("type") or default or ("private" if chat_id > 0 else "group")
            chat: dict[str, Any] = {"id": chat_id, "type": kind}
            if kind == "private":
                chat["first_name"] = "User"
            else:
                chat["title"] = title or known.get("title") or f"Group {chat_id}"
            self._chats[chat_id] = chat
            return dict(chat)

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
        kind: str | None = None,
        name: str = "User",
        *,
        title: str | None = None,
        reply_to: Message | None = None,
    ) -> Message:
        """A user sends ``text`` to a chat, maybe replying to ``reply_to``; returns the message.

        ``kind`` is "private", "group" or "supergroup" (default: as this chat was last seen,
        else private) and ``title`` names a group. A leading /command and "@<bot_username>"
        get Telegram's bot_command and mention entities.
        """
        if reply_to is not None and reply_to.chat_id != chat_id:
            raise ValueError("a reply must be in the chat of the message it replies to")
        chat = self._chat(chat_id, kind, title, default="private")
        reply_id = reply_to.message_id if reply_to is not None else None
        msg = self._store(chat_id, text, from_bot=False, reply_to_message_id=reply_id)
        payload: dict[str, Any] = {
            "message_id": msg.message_id,
            "date": msg.date,
            "chat": chat,
            "from": self._user(user_id, name),
            "text": text,
        }
        entities = rules.entities(text, self.bot_username)
        if entities:
            payload["entities"] = entities
        if reply_to is not None:
            payload["reply_to_message"] = self._message_json(reply_to)
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
                    "chat": self._chat(chat_id, default="private"),
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
        self.client_sends_callback(message, data, user_id)

    def client_sends_callback(self, message: Message, data: str | None, user_id: int = 100) -> None:
        """A modified client sends a button press under a bot message with any ``data``, or
        none (None): Telegram passes on callback data no button carries."""
        query: dict[str, Any] = {
            "id": str(self._next_update),
            "from": self._user(user_id, "User"),
            "chat_instance": str(message.chat_id),
            "message": self._message_json(message),
        }
        if data is not None:
            query["data"] = data
        self._push({"callback_query": query})

    def bot_messages(self, chat_id: int | None = None) -> list[Message]:
        """Messages the bot sent (or last edited), oldest first."""
        with self._cond:
            return [
                m for m in self.messages if m.from_bot and (chat_id is None or m.chat_id == chat_id)
            ]

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
            "chat": self._chat(m.chat_id),
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
            if self._swallowed(method):
                while self._open:  # no answer until the emulator stops
                    self._cond.wait()
                raise ApiError(504, rules.failure_text(504, None))
            for i, (name, code, retry) in enumerate(self._failures):
                if name == method:
                    del self._failures[i]
                    raise ApiError(code, rules.failure_text(code, retry), retry)
        handler = getattr(self, "_api_" + method.lower(), None)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        return handler(params)

    def _swallowed(self, method: str) -> bool:
        """Whether this call of ``method`` is one :meth:`hold_next` swallows (lock held)."""
        for hold in self._holds:
            if hold.method == method:
                if hold.skip:
                    hold.skip -= 1
                    return False
                self._holds.remove(hold)
                hold.arrived.set()
                return True
        return False

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

    def _api_setwebhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        secret = str(params.get("secret_token") or "") or None
        allowed = rules.parse_json(params.get("allowed_updates"), "allowed_updates")
        # Telegram wants HTTPS on a public port; a local emulator takes plain HTTP too.
        if url and urlsplit(url).scheme not in ("http", "https"):
            raise ApiError(400, "Bad Request: bad webhook: an HTTP(S) URL must be provided")
        if secret is not None and not rules.SECRET.fullmatch(secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if allowed is not None and not (
            isinstance(allowed, list) and all(isinstance(a, str) for a in allowed)
        ):
            raise ApiError(400, "Bad Request: can't parse allowed_updates JSON object")
        with self._cond:
            if rules.flag(params.get("drop_pending_updates")):
                self._updates.clear()
            # An empty url removes the webhook, as on Telegram.
            self._webhook = Webhook(url, secret, tuple(allowed or ())) if url else None
            self._webhook_error = None
            self._webhook_set()
            self._cond.notify_all()
        return True

    def _api_deletewebhook(self, params: dict[str, Any]) -> bool:
        with self._cond:
            if rules.flag(params.get("drop_pending_updates")):
                self._updates.clear()
            self._webhook = None
            self._cond.notify_all()
        return True

    def _api_getwebhookinfo(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            hook = self._webhook
            info: dict[str, Any] = {
                "url": hook.url if hook else "",
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
            if hook and hook.allowed_updates:
                info["allowed_updates"] = list(hook.allowed_updates)
            if hook and self._webhook_error:
                info["last_error_date"], info["last_error_message"] = self._webhook_error
            return info

    def _api_setmycommands(self, params: dict[str, Any]) -> bool:
        commands = rules.parse_json(params.get("commands"), "commands")
        if not isinstance(commands, list) or not all(
            isinstance(c, dict) and c.get("command") and c.get("description") for c in commands
        ):
            raise ApiError(400, "Bad Request: commands must be a list of command, description")
        self.commands = commands
        return True

    def _api_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 30.0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + timeout
        with self._cond:
            if self._webhook is not None:
                raise ApiError(409, _CONFLICT)
            if offset:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and self._open:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.25))
                # Telegram ends a running long poll when a webhook is set.
                if self._webhook is not None:
                    raise ApiError(409, _CONFLICT)
            return [dict(u) for u in self._updates[:limit]]

    def _chat_id(self, params: dict[str, Any]) -> int:
        """The chat a send or edit goes to, refused as Telegram refuses blocked and old chats."""
        try:
            chat_id = int(params["chat_id"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ApiError(400, "Bad Request: chat not found") from exc
        with self._cond:
            if chat_id in self._blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            new_chat_id = self._migrated.get(chat_id)
        if new_chat_id is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=new_chat_id,
            )
        return chat_id

    def _api_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        text, mode = rules.checked_text(params)
        msg = self._store(
            chat_id, text, True, parse_mode=mode, reply_markup=rules.reply_markup(params)
        )
        return self._message_json(msg)

    def _find(self, params: dict[str, Any]) -> Message:
        chat_id, message_id = self._chat_id(params), int(params["message_id"])
        for m in self.messages:
            if m.chat_id == chat_id and m.message_id == message_id:
                if not m.from_bot:
                    raise ApiError(400, "Bad Request: message can't be edited")
                return m
        raise ApiError(400, "Bad Request: message to edit not found")

    def _api_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._find(params)
        text, mode = rules.checked_text(params)
        markup = rules.reply_markup(params)
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
        markup = rules.reply_markup(params)
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
        self.actions.append((self._chat_id(params), str(params.get("action"))))
        return True
