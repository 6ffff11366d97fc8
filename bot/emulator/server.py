"""A local Telegram Bot API emulator: the bot runs and is tested against it without Telegram.

It speaks the Bot API over HTTP on 127.0.0.1 (``POST /bot<token>/<method>``, form or JSON
parameters, ``{"ok": ..., "result": ...}`` answers) and rejects what Telegram rejects: text
over 4096 characters after entity parsing, HTML it cannot parse, callback data over 64 bytes,
an edit that changes nothing. A simulated user sends messages (in private chats or groups,
with mentions and replies), presses buttons and shares locations. Updates go to ``getUpdates``
or, once ``setWebhook`` is called, are POSTed to the webhook. Tests can make the next calls
answer 429 (with ``retry_after``) or 5xx, swallow a call (no answer, nothing stored: the bot
can be killed while it waits), block the bot in a chat (403) and migrate a group to a
supergroup (400 with ``migrate_to_chat_id``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from email.message import Message as HeaderMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any
from urllib.parse import parse_qsl

from bot.emulator.api import BotApi, Webhook
from bot.emulator.rules import ApiError

log = logging.getLogger(__name__)

WEBHOOK_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_ATTEMPTS = 4
WEBHOOK_RETRY_DELAY = 0.2
# A webhook that takes longer than this is failing, and a stuck one must not hold up stop().
WEBHOOK_TIMEOUT = 5.0


class _Server(ThreadingHTTPServer):
    # A connection per call (HTTP/1.0): twenty chats answered at once overflow socketserver's
    # default backlog of 5, and the kernel then drops connections.
    request_queue_size = 128


class BotApiEmulator(BotApi):
    """The emulated Bot API served over HTTP: :meth:`start` serves it, :meth:`stop` ends it;
    updates go to long polls or, once a webhook is set, are POSTed to it in order."""

    def __init__(
        self,
        bot_username: str = "sitrep_bot",
        *,
        webhook_attempts: int = WEBHOOK_ATTEMPTS,
        webhook_retry_delay: float = WEBHOOK_RETRY_DELAY,
    ) -> None:
        super().__init__(bot_username)
        self.webhook_attempts = webhook_attempts
        self.webhook_retry_delay = webhook_retry_delay
        self._server: ThreadingHTTPServer | None = None
        self._deliverer: threading.Thread | None = None

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

        self._server = _Server(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        with self._cond:
            self._open = True
            self._ensure_deliverer()
        return self

    def stop(self) -> None:
        """Stop serving and webhook delivery, and wake every waiting long poll."""
        with self._cond:
            self._open = False
            deliverer = self._deliverer
            self._cond.notify_all()
        if deliverer is not None:
            deliverer.join(WEBHOOK_TIMEOUT + 1)
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
                if exc.parameters:
                    body["parameters"] = exc.parameters
        data = json.dumps(body).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("the client hung up before %s got its answer", parts[-1])

    def _ensure_deliverer(self) -> None:
        """Start the webhook delivery thread if a webhook is set and none runs (lock held)."""
        if self._webhook is not None and self._deliverer is None and self._open:
            self._deliverer = threading.Thread(
                target=self._deliver, name="bot-api-emulator-webhook", daemon=True
            )
            self._deliverer.start()

    def _deliver(self) -> None:
        """POST queued updates to the webhook in order until it is deleted or the emulator stops."""
        attempts = 0
        while True:
            with self._cond:
                while self._open and self._webhook is not None and not self._updates:
                    self._cond.wait()
                hook = self._webhook
                if not self._open or hook is None:
                    self._deliverer = None
                    return
                update = dict(self._updates[0])
                if hook.allowed_updates and _update_type(update) not in hook.allowed_updates:
                    self._updates.pop(0)
                    continue
            error = _post(hook, update)
            with self._cond:
                # deleteWebhook(drop_pending_updates) may have emptied the queue meanwhile.
                if not self._updates or self._updates[0]["update_id"] != update["update_id"]:
                    attempts = 0
                    continue
                if error is None:
                    self._updates.pop(0)
                    attempts = 0
                    self._cond.notify_all()
                    continue
                attempts += 1
                self._webhook_error = (int(time.time()), error)
                if attempts >= self.webhook_attempts:
                    log.warning("dropping update %s: %s", update["update_id"], error)
                    self._updates.pop(0)
                    attempts = 0
                    self._cond.notify_all()
                    continue
                deadline = time.monotonic() + self.webhook_retry_delay
                while self._open and self._webhook is hook:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)

    def _webhook_set(self) -> None:
        self._ensure_deliverer()


def _update_type(update: dict[str, Any]) -> str:
    """The update's kind ("message", "callback_query", ...), as allowed_updates names it."""
    return next(key for key in update if key != "update_id")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Telegram does not follow a webhook's redirects: a 3xx answer is a failed delivery."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HeaderMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


def _post(hook: Webhook, update: dict[str, Any]) -> str | None:
    """POST one update to the webhook; None when it answered 2xx, else what went wrong."""
    headers = {"Content-Type": "application/json"}
    if hook.secret_token:
        headers[WEBHOOK_SECRET_HEADER] = hook.secret_token
    request = urllib.request.Request(
        hook.url, data=json.dumps(update).encode(), headers=headers, method="POST"
    )
    # No proxies: a proxy from the environment must not see (or swallow) loopback deliveries.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    try:
        with opener.open(request, timeout=WEBHOOK_TIMEOUT) as response:
            response.read()
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return f"Wrong response from the webhook: {exc.code} {exc.reason}"
    except OSError as exc:  # URLError, refused connections and timeouts
        return f"Connection failed: {exc}"
    if not 200 <= status < 300:
        return f"Wrong response from the webhook: {status}"
    return None


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
