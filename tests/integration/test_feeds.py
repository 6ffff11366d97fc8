"""Feed polling through the application: conditional GET, back-off, one ingest per poll."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.app import App, build_app
from bot.feeds.poller import backoff, read_feed_list
from bot.settings import Settings
from index.clock import ManualClock
from index.embeddings import HashEmbedder
from index.errors import SourceError
from index.places.gazetteer import Gazetteer

FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><title>Soledar water</title><link>https://wire.example/1</link>
<description>{text}</description></item></channel></rss>"""
TEXT = " ".join(["Shelling damaged the water station in Soledar, officials said."] * 20)


class FeedServer:
    """Answers like a feed server that honours ETag, or fails when told to."""

    def __init__(self) -> None:
        self.status = 200
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.status != 200:
            return httpx.Response(self.status)
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304)
        return httpx.Response(
            200,
            text=FEED.format(text=TEXT),
            headers={"content-type": "application/rss+xml", "etag": '"v1"'},
        )


@pytest.fixture
def server() -> FeedServer:
    return FeedServer()


@pytest.fixture
def app(
    settings: Settings, gazetteer: Gazetteer, server: FeedServer, clock: ManualClock
) -> Iterator[App]:
    built = build_app(
        settings.replace(vector_index="numpy"),
        embedder=HashEmbedder,
        transport=httpx.MockTransport(server),
        gazetteer=lambda: gazetteer,
        clock=clock,
    )
    built.chats.chat(0, clock.now())  # the feed tables exist from the first use
    yield built
    built.close()


def test_conditional_get_backoff_and_recovery(
    app: App, server: FeedServer, clock: ManualClock
) -> None:
    url = "https://feeds.example/rss"  # resolves nowhere: the mock transport answers
    app.chat_reader.policy = app.reader.policy  # the guard would look the name up
    assert app.feeds.follow([url]) == 1 and app.feeds.follow([url]) == 0

    [first] = app.feeds.poll_due()
    assert (first.status, first.added) == ("new", 1)
    assert "Sitrep" in server.requests[-1].headers["user-agent"]
    assert app.feeds.poll_due() == []  # not due yet

    clock.advance(timedelta(minutes=15))
    [again] = app.feeds.poll_due()
    assert again.status == "not modified"
    assert server.requests[-1].headers["if-none-match"] == '"v1"'

    server.status = 503
    for failures in (1, 2, 3):
        clock.advance(timedelta(days=2))
        [failed] = app.feeds.poll_due()
        assert failed.status == "failed" and "503" in (failed.error or "")
        [feed] = app.chats.feeds()
        assert feed.failures == failures
        assert feed.next_poll == clock.now() + backoff(timedelta(minutes=15), failures)
    assert backoff(timedelta(minutes=15), 3) == timedelta(hours=2)
    assert backoff(timedelta(minutes=15), 30) == timedelta(hours=24)

    server.status = 200
    clock.advance(timedelta(days=2))
    [back] = app.feeds.poll_due()
    assert back.status == "not modified" and app.chats.feeds()[0].failures == 0
    assert app.knowledge.store.stats().articles == 1


def test_a_bad_feed_list_says_what_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    assert read_feed_list(path) == []
    path.write_text('feeds = ["https://a.example/rss", " "]\n')
    assert read_feed_list(path) == ["https://a.example/rss"]
    path.write_text("feeds = 3\n")
    with pytest.raises(SourceError, match="must be a list of URLs"):
        read_feed_list(path)


def test_a_changed_feed_does_not_fetch_the_pages_of_known_items(
    app: App, server: FeedServer, clock: ManualClock
) -> None:
    app.chat_reader.policy = app.reader.policy  # the mock host does not resolve
    short = FEED.replace("{text}", "Soledar: short summary.")
    pages: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/rss":
            return httpx.Response(200, text=short, headers={"content-type": "application/rss+xml"})
        pages.append(str(request.url))
        return httpx.Response(
            200, text=f"<html><body><article><p>{TEXT}</p></article></body></html>"
        )

    app.chat_reader.client = httpx.Client(transport=httpx.MockTransport(handler))
    app.feeds.follow(["https://feeds.example/rss"])
    assert app.feeds.poll_due()[0].added == 1 and pages == ["https://wire.example/1"]
    clock.advance(timedelta(hours=1))
    assert app.feeds.poll_due()[0].added == 0
    assert pages == ["https://wire.example/1"]  # the known item's page was not fetched again
