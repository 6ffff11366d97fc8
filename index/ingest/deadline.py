"""One deadline per download, and the watchdog that holds a trickling server to it.

httpx's timeouts bound each read, not the whole: a server sending a byte a second is never
timed out. The deadline counts from the first connect over every redirect hop; when it passes,
the watchdog shuts the connection down, so a read blocked on trickled headers or body wakes at
once, and the download says how far it got.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

import httpx


class Deadline:
    """The moment a download must be done by, on a monotonic clock (``Clock.monotonic``)."""

    def __init__(self, seconds: float, monotonic: Callable[[], float]) -> None:
        self.seconds = seconds
        self._monotonic = monotonic
        self._end = monotonic() + seconds

    def left(self) -> float:
        """Seconds until the deadline (0 or less: it has passed)."""
        return self._end - self._monotonic()

    def passed(self) -> bool:
        """Whether the deadline has passed."""
        return self.left() <= 0

    def timeout(self) -> httpx.Timeout:
        """httpx's per-phase timeouts for the next request: no phase may outlast the deadline."""
        return httpx.Timeout(max(self.left(), 0.001))


class Watchdog:
    """Watches one download: its phase, the body bytes received, the connections it opened.

    Pass :meth:`trace` as the requests' ``trace`` extension (httpcore calls it as each phase
    starts and ends); use as a context manager around the download. Connections are learnt
    when they are opened, so a download should not reuse pooled ones (``Connection: close``).
    """

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        # "connect" while a connection is being opened, "headers" until the answer's headers are
        # in (and when nothing says otherwise, as with a test transport), then "body".
        self.phase = "headers"
        self.received = 0  # body bytes of the current hop
        self.requests = 0  # one per hop, redirects followed by httpx or by hand alike
        self.fired = False
        self._lock = threading.Lock()
        self._done = threading.Event()
        # Duplicates of the connections' sockets: shutting a duplicate down shuts the connection
        # down, and a duplicate cannot be closed (and its number reused) under the watchdog.
        self._sockets: list[socket.socket] = []
        self._thread = threading.Thread(target=self._watch, name="download-deadline", daemon=True)

    def __enter__(self) -> Watchdog:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._lock:
            self._done.set()
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace callback: follow the phases, keep each new connection's socket."""
        if event.endswith("connect_tcp.started"):
            self.phase = "connect"
        elif event.endswith("connect_tcp.complete"):
            self.phase = "headers"
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if isinstance(sock, socket.socket):
                self._keep(sock)
        elif event.endswith("send_request_headers.started"):
            self.phase = "headers"
            self.requests += 1

    def body_started(self) -> None:
        """The headers of a hop are in: its body is being read."""
        self.phase = "body"
        self.received = 0

    def expired(self) -> bool:
        """Whether the deadline has passed (or the watchdog has cut the download off)."""
        return self.fired or self.deadline.passed()

    def message(self) -> str:
        """What a timed-out download got, for the user."""
        within = f"within {self.deadline.seconds:g} s"
        if self.phase == "connect":
            said = f"timed out: no connection to the server {within}"
        elif self.phase == "headers":
            said = f"timed out: no complete answer {within} (the headers had not all arrived)"
        else:
            said = f"timed out: no complete answer {within} ({self.received:,} bytes received)"
        redirects = self.requests - 1
        if redirects > 0:
            said += f", after {redirects} redirect{'s' if redirects > 1 else ''}"
        return said

    def _keep(self, sock: socket.socket) -> None:
        try:
            dup = socket.fromfd(sock.fileno(), sock.family, sock.type)
        except OSError:
            return
        with self._lock:
            if self._done.is_set():
                dup.close()
                return
            self._sockets.append(dup)
            if self.fired:  # connected after the deadline: cut off at once
                _shut(dup)

    def _watch(self) -> None:
        while not self._done.wait(max(self.deadline.left(), 0.0)):
            if self.deadline.passed():
                with self._lock:
                    if self._done.is_set():
                        return
                    self.fired = True
                    for sock in self._sockets:
                        _shut(sock)
                return


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # closed by the client already, or never connected
        sock.shutdown(socket.SHUT_RDWR)
