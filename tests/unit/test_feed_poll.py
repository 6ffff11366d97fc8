"""Polling a feed with conditional GETs: items and validators first, then "not modified"."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from index.clock import SystemClock
from index.errors import SourceError
from index.ingest.sources import FeedPoll, SourceReader
from index.ingest.web import FetchPolicy
from index.models import Article, IngestFailure

FEED_URL = "https://news.example/feed.xml"
ETAG = '"v1-3f9a"'
LAST_MODIFIED = "Tue, 17 Nov 2026 08:00:00 GMT"
USER_AGENT = "Sitrep-test/1.0"

FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Example News</title>
<item><title>Power back in Kherson</title><link>https://news.example/kherson</link>
<pubDate>Tue, 17 Nov 2026 07:30:00 GMT</pubDate>
<description>Power was restored to most of Kherson after strikes on two substations.</description>
</item>
<item><title>Rail line reopens</title><link>https://news.example/rail</link>
<pubDate>Tue, 17 Nov 2026 06:00:00 GMT</pubDate>
<description>The line to Druzhkivka reopened after crews cleared the tracks at dawn.</description>
</item>
<item><title>Empty</title><link>https://news.example/empty</link></item>
</channel></rss>
"""


class FeedServer:
    """Serves FEED with validators, and 304 to a request that presents them."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if str(request.url) != FEED_URL:
            return httpx.Response(404)  # the "Empty" item's page: the item is a failure
        if request.headers.get("If-None-Match") == ETAG:
            return httpx.Response(304, headers={"ETag": ETAG})
        return httpx.Response(
            200,
            content=FEED,
            headers={
                "Content-Type": "application/rss+xml",
                "ETag": ETAG,
                "Last-Modified": LAST_MODIFIED,
            },
        )


def reader_for(handler: FeedServer | httpx.MockTransport) -> Iterator[SourceReader]:
    transport = (
        handler if isinstance(handler, httpx.MockTransport) else httpx.MockTransport(handler)
    )
    # Items of at least 5 words are full text, so only the empty item's page is fetched.
    policy = FetchPolicy(user_agent=USER_AGENT, summary_words=5)
    with httpx.Client(transport=transport) as client:
        yield SourceReader(client, SystemClock(), policy)


@pytest.fixture
def server() -> FeedServer:
    return FeedServer()


@pytest.fixture
def reader(server: FeedServer) -> Iterator[SourceReader]:
    yield from reader_for(server)


def test_the_first_poll_reads_the_feed_and_keeps_its_validators(
    reader: SourceReader, server: FeedServer
) -> None:
    poll = reader.poll_feed(FEED_URL)
    assert not poll.not_modified
    assert poll.etag == ETAG
    assert poll.last_modified == LAST_MODIFIED
    articles = [i for i in poll.items if isinstance(i, Article)]
    failures = [i for i in poll.items if isinstance(i, IngestFailure)]
    assert [a.title for a in articles] == ["Power back in Kherson", "Rail line reopens"]
    assert articles[0].url == "https://news.example/kherson"
    assert articles[0].source == "Example News"
    assert [f.where for f in failures] == ["https://news.example/empty"]
    first = server.requests[0]
    assert "If-None-Match" not in first.headers
    assert "If-Modified-Since" not in first.headers
    assert first.headers["User-Agent"] == USER_AGENT


def test_the_poll_reads_the_same_items_as_read(reader: SourceReader) -> None:
    assert reader.poll_feed(FEED_URL).items == list(reader.read(FEED_URL))


def test_the_next_poll_sends_the_validators_and_an_unchanged_feed_has_no_items(
    reader: SourceReader, server: FeedServer
) -> None:
    first = reader.poll_feed(FEED_URL)
    server.requests.clear()
    second = reader.poll_feed(FEED_URL, etag=first.etag, last_modified=first.last_modified)
    assert second == FeedPoll(items=[], etag=ETAG, last_modified=LAST_MODIFIED, not_modified=True)
    [request] = server.requests  # no item pages fetched for an unchanged feed
    assert request.headers["If-None-Match"] == ETAG
    assert request.headers["If-Modified-Since"] == LAST_MODIFIED
    assert request.headers["User-Agent"] == USER_AGENT


def test_a_changed_feed_is_read_again(reader: SourceReader, server: FeedServer) -> None:
    poll = reader.poll_feed(FEED_URL, etag='"v0-old"', last_modified=None)
    assert not poll.not_modified
    assert poll.etag == ETAG
    assert len(poll.items) == 3
    assert "If-Modified-Since" not in server.requests[0].headers


def test_a_feed_without_validators_gives_none_to_send_next_time() -> None:
    def plain(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=FEED, headers={"Content-Type": "application/rss+xml"})

    for reader in reader_for(httpx.MockTransport(plain)):
        poll = reader.poll_feed(FEED_URL)
        assert (poll.etag, poll.last_modified, poll.not_modified) == (None, None, False)
        assert len(poll.items) == 3


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(500), "HTTP 500 Internal Server Error"),
        (httpx.Response(200, content=b"  ", headers={"ETag": ETAG}), "empty page"),
        (
            httpx.Response(200, content=b"<rss><channel></channel></rss>", headers={"ETag": ETAG}),
            "not a readable RSS/Atom feed",
        ),
        (httpx.Response(200, content=b"\x89PNG", headers={"Content-Type": "image/png"}), "image"),
    ],
)
def test_a_feed_that_cannot_be_read_raises_source_error(
    response: httpx.Response, message: str
) -> None:
    for reader in reader_for(httpx.MockTransport(lambda request: response)):
        with pytest.raises(SourceError, match=message):
            reader.poll_feed(FEED_URL, etag=ETAG)


def test_a_timeout_raises_source_error() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    for reader in reader_for(httpx.MockTransport(slow)):
        with pytest.raises(SourceError, match=r"timed out: no complete answer within 20 s"):
            reader.poll_feed(FEED_URL)


def test_a_public_only_reader_refuses_a_private_feed_url(server: FeedServer) -> None:
    with httpx.Client(transport=httpx.MockTransport(server)) as client:
        reader = SourceReader(client, SystemClock(), FetchPolicy(public_only=True))
        with pytest.raises(SourceError, match=r"refused: 10\.0\.0\.7 is not a public address"):
            reader.poll_feed("http://10.0.0.7/feed.xml")
    assert server.requests == []
