"""Shared fixtures: settings on a temporary data dir, a fast app, a local HTTP server."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from bot.app import App, build_app
from bot.emulator.server import BotApiEmulator
from bot.settings import Settings
from index.clock import ManualClock
from index.embeddings import HashEmbedder, SentenceTransformerEmbedder
from index.ingest.sources import SourceReader
from index.places.cache import GazetteerFiles
from index.places.gazetteer import Gazetteer, load_gazetteer

PROJECT = Path(__file__).resolve().parent.parent
SAMPLE = PROJECT / "bot" / "sample" / "corpus.jsonl"
SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def gazetteer_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One compiled gazetteer for the whole session (compiling takes seconds)."""
    return tmp_path_factory.mktemp("gazetteer") / "gazetteer.bin"


@pytest.fixture(scope="session")
def gazetteer(gazetteer_cache: Path) -> Gazetteer:
    """The default gazetteer (cities500, scope UA, RU, BY, MD), compiled once."""
    files = GazetteerFiles(
        cache=gazetteer_cache,
        extra_dir=gazetteer_cache.parent / "extra",
        overrides=PROJECT / "config" / "places.toml",
        scope=("UA", "RU", "BY", "MD"),
    )
    return load_gazetteer(files)


@pytest.fixture(autouse=True)
def _shared_gazetteer_cache(
    gazetteer: Gazetteer, gazetteer_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI reads settings from the environment: point it at the session's gazetteer."""
    monkeypatch.setenv("SITREP_PLACES_CACHE", str(gazetteer_cache))


@pytest.fixture
def settings(tmp_path: Path, gazetteer_cache: Path) -> Settings:
    """Settings on a fresh data directory, ignoring the environment."""
    return Settings.load(env={}, data_dir=tmp_path / "data", places_cache=gazetteer_cache)


# The moment every test starts at: fixed, so that no test depends on the wall clock.
START = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    """The application's clock, set by the test (it moves only when told to)."""
    return ManualClock(START)


@pytest.fixture
def fast_app(settings: Settings, gazetteer: Gazetteer, clock: ManualClock) -> Iterator[App]:
    """The real application with the hashing embedder and the NumPy index: no model load."""
    app = build_app(
        settings.replace(vector_index="numpy", ask_threshold=0.2),
        embedder=lambda: HashEmbedder(),
        gazetteer=lambda: gazetteer,
        clock=clock,
    )
    yield app
    app.close()


_MODEL: list[SentenceTransformerEmbedder] = []


@pytest.fixture
def real_model(monkeypatch: pytest.MonkeyPatch) -> SentenceTransformerEmbedder:
    """The bundled all-MiniLM-L6-v2, loaded once per test session and reused by build_app."""
    if not _MODEL:
        _MODEL.append(SentenceTransformerEmbedder())
    model = _MODEL[0]
    monkeypatch.setattr("bot.app.SentenceTransformerEmbedder", lambda *_a, **_k: model)
    return model


@dataclass
class Route:
    """What the local server answers for one path."""

    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    delay: float = 0.0


@dataclass
class LocalServer:
    """A real HTTP server on 127.0.0.1; ``routes`` can change while it runs."""

    base: str
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    """Serve ``routes`` on a free loopback port; stops at the end of the test."""
    server_state = LocalServer(base="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server_state.hits.append(self.path)
            route = server_state.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            if route.delay:
                # A late answer. Waiting on an event, not time.sleep: under libfaketime
                # (the wall-clock checks) time.sleep fails with EINVAL.
                threading.Event().wait(route.delay)
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(route.body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    server_state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield server_state
    httpd.shutdown()
    httpd.server_close()


def write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    """Write JSONL records, one per line."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


def rss(items: list[tuple[str, str, str]]) -> bytes:
    """An RSS feed "Oskil Monitor" of (title, link, description) items."""
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><description>{d}</description>"
        "<pubDate>Tue, 17 Nov 2026 08:00:00 GMT</pubDate></item>"
        for t, link, d in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Oskil Monitor</title>'
        f"<link>http://example.invalid/</link><description>test</description>{entries}"
        "</channel></rss>"
    ).encode()


def sample_records() -> list[dict[str, object]]:
    """The bundled sample corpus."""
    return [json.loads(line) for line in SAMPLE.read_text().splitlines() if line.strip()]


JsonlWriter = Callable[[Path, list[dict[str, object]]], Path]


@pytest.fixture
def emulator() -> Iterator[BotApiEmulator]:
    """A running Bot API emulator on a free loopback port, stopped after the test."""
    emu = BotApiEmulator().start()
    yield emu
    emu.stop()


@pytest.fixture
def _timedelta_durations(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to python-telegram-bot's timedelta durations (its deprecation warning says so)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@contextlib.contextmanager
def offline_reader(now: datetime) -> Iterator[SourceReader]:
    """A source reader whose clock stands at ``now`` and that fails the test on any request."""

    def no_network(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"unexpected request to {request.url}")

    with httpx.Client(transport=httpx.MockTransport(no_network)) as client:
        yield SourceReader(client, ManualClock(now))
