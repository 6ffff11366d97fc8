"""One deadline per download: connect, headers and body, over every redirect hop.

A server that trickles (one byte at a time, each well within a read timeout) is cut off when the
policy's time is up, and the message says so, through SourceReader, feed polling and the CLI.
"""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.cli import main
from index.clock import SystemClock
from index.errors import SourceError
from index.ingest.sources import SourceReader
from index.ingest.web import FetchPolicy
from index.models import IngestFailure

TICK = 0.2  # seconds between trickled bytes: each read gets a byte long before it times out
GIVE_UP = 8.0  # the server stops trickling by itself after this long
HOPS = 4  # redirects before the page, each answered after HOP_DELAY
HOP_DELAY = 0.3
PAGE = b"<html><body><p>" + b"Power is back in Kherson. " * 30 + b"</p></body></html>"
FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><item>'
    b"<title>Kherson</title><description>" + b"Power is back in Kherson. " * 30 + b"</description>"
    b"</item></channel></rss>"
)


class Trickle(socketserver.ThreadingTCPServer):
    """A web server that answers slowly: headers or body a byte at a time, or late redirects."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.stop = threading.Event()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class _Handler(socketserver.BaseRequestHandler):
    server: Trickle

    def handle(self) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            request += chunk
        path = request.split(b" ")[1].decode()
        try:
            if path == "/slow-headers":
                self.request.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                self.trickle()
            elif path in ("/slow-body", "/slow-feed"):
                kind = b"application/rss+xml" if path == "/slow-feed" else b"text/html"
                self.request.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: " + kind + b"\r\n"
                    b"Content-Length: 100000\r\n\r\n" + (FEED if path == "/slow-feed" else PAGE)
                )
                self.trickle()
            elif path.startswith("/hop/"):
                if self.server.stop.wait(HOP_DELAY):  # an Event, not time.sleep (libfaketime)
                    return
                n = int(path.removeprefix("/hop/"))
                if n < HOPS:
                    self.request.sendall(
                        f"HTTP/1.1 302 Found\r\nLocation: /hop/{n + 1}\r\n"
                        "Content-Length: 0\r\n\r\n".encode()
                    )
                else:
                    self.request.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                        + f"Content-Length: {len(PAGE)}\r\n\r\n".encode()
                        + PAGE
                    )
        except OSError:  # the client hung up: what a deadline does
            return

    def trickle(self) -> None:
        for _ in range(int(GIVE_UP / TICK)):
            if self.server.stop.wait(TICK):
                return
            self.request.sendall(b"a")


@pytest.fixture
def trickle() -> Iterator[Trickle]:
    server = Trickle()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.stop.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def reader() -> Iterator[SourceReader]:
    with httpx.Client(trust_env=False) as client:
        yield SourceReader(client, SystemClock(), FetchPolicy(timeout=1.0))


def failure_of(reader: SourceReader, url: str) -> str:
    [item] = reader.read(url)
    assert isinstance(item, IngestFailure), item
    return item.reason


def test_a_trickled_body_is_cut_off_at_the_deadline(trickle: Trickle, reader: SourceReader) -> None:
    reason = failure_of(reader, trickle.url("/slow-body"))
    assert reason.startswith("timed out: no complete answer within 1 s"), reason
    assert "bytes received" in reason


def test_trickled_headers_are_cut_off_at_the_deadline(
    trickle: Trickle, reader: SourceReader
) -> None:
    reason = failure_of(reader, trickle.url("/slow-headers"))
    assert reason.startswith("timed out: no complete answer within 1 s"), reason


def test_the_deadline_covers_every_redirect_hop(trickle: Trickle, reader: SourceReader) -> None:
    # Each hop answers well within 1 s; all of them together take longer.
    reason = failure_of(reader, trickle.url("/hop/0"))
    assert reason.startswith("timed out: no complete answer within 1 s"), reason
    assert reason.endswith("redirects"), reason


def test_a_polled_feed_has_the_same_deadline(trickle: Trickle, reader: SourceReader) -> None:
    with pytest.raises(SourceError, match=r"^timed out: no complete answer within 1 s"):
        reader.poll_feed(trickle.url("/slow-feed"))


def test_the_cli_reports_the_timeout(
    trickle: Trickle,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SITREP_INGEST_TIMEOUT_S", "1")
    url = trickle.url("/slow-body")
    assert main(["--data-dir", str(tmp_path / "data"), "ingest", "--no-progress", url]) == 1
    out = capsys.readouterr().out
    assert f"failed: {url}: timed out: no complete answer within 1 s" in out, out
