"""What is a URL and what is a path: one parse, http and https, other schemes refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from index.clock import SystemClock
from index.errors import SourceError
from index.ingest.sources import SourceReader
from index.ingest.urls import web_link
from index.ingest.web import FetchPolicy
from index.models import Article, IngestFailure

PAGE = b"<html><head><title>Kherson</title></head><body><p>" + b"Power is back. " * 40 + b"</p>"
FOREIGN = "only http and https URLs can be read, not"


class Web:
    """Answers every http(s) request with PAGE, and remembers what was asked for."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        return httpx.Response(200, content=PAGE, headers={"Content-Type": "text/html"})


@pytest.fixture
def web() -> Web:
    return Web()


@pytest.fixture
def reader(web: Web) -> Iterator[SourceReader]:
    with httpx.Client(transport=httpx.MockTransport(web)) as client:
        yield SourceReader(client, SystemClock(), FetchPolicy())


def only_failure(reader: SourceReader, target: str) -> str:
    found, skipped = reader.expand(target)  # never raises: the failure is the read's
    assert skipped == []
    [item] = [i for t in found for i in reader.read(t)]
    assert isinstance(item, IngestFailure), item
    return item.reason


def test_a_malformed_url_is_a_failure_not_a_crash(reader: SourceReader, web: Web) -> None:
    for target in ("http://[::1", "https://[not-an-address]/x", "http://exa mple.org/"):
        assert "not a valid URL" in only_failure(reader, target), target
    assert web.urls == []


@pytest.mark.parametrize(
    ("target", "scheme"),
    [
        ("ftp://example.org/y", "ftp:"),
        ("FTP://example.org/y", "ftp:"),
        ("file:///etc/passwd", "file:"),
        ("javascript:alert(1)", "javascript:"),
        ("data:text/html,<p>hi</p>", "data:"),
        ("gopher://example.org/", "gopher:"),
    ],
)
def test_other_schemes_are_refused_by_name(
    reader: SourceReader, web: Web, target: str, scheme: str
) -> None:
    assert f"refused: {FOREIGN} {scheme}" in only_failure(reader, target)
    assert web.urls == []


def test_http_and_https_are_read_in_any_case(reader: SourceReader, web: Web) -> None:
    for target in ("HTTP://Example.COM/x", "Https://example.org/y"):
        [item] = reader.read(target)
        assert isinstance(item, Article), item
    assert web.urls == ["http://example.com/x", "https://example.org/y"]


def test_paths_with_colons_stay_paths(
    reader: SourceReader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # A drive letter is no URL scheme on Linux, and ./ makes anything a path.
    for target in ("C:\\x", "./ftp:/x", "./http://x"):
        assert only_failure(reader, target) == "no such file or folder", target
    (tmp_path / "ftp:").mkdir()
    (tmp_path / "ftp:" / "notes.txt").write_text("Shelling was reported near Siversk overnight.")
    [article] = reader.read("./ftp:/notes.txt")
    assert isinstance(article, Article) and "Siversk" in article.text


def feed(links: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Item {n}</title><link>{link}</link>"
        f"<description>Item {n}: shelling near Siversk was reported overnight.</description></item>"
        for n, link in enumerate(links)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{items}'.encode()


def test_a_feed_item_keeps_only_a_web_link_as_its_citation(
    reader: SourceReader, web: Web, tmp_path: Path
) -> None:
    links = [
        "file:///etc/passwd",
        "javascript:alert(1)",
        "ftp://example.org/item",
        "data:text/plain,hello",
        "http://[::1",
        "HTTPS://News.Example/item",
    ]
    path = tmp_path / "wire.rss"
    path.write_bytes(feed(links) + b"</channel></rss>")
    items = list(reader.read(str(path)))
    assert all(isinstance(i, Article) for i in items), items
    # The text of each item is kept; a link that is not a web address is no citation.
    assert [i.url for i in items if isinstance(i, Article)] == [None] * 5 + [
        "HTTPS://News.Example/item"  # as the feed gives it
    ]
    assert all("Siversk" in i.text for i in items[:5] if isinstance(i, Article))
    # Short items fetch their page for the full text: only the web link was fetched.
    assert web.urls == ["https://news.example/item"] and "Power is back" in items[5].text


def test_a_polled_feed_url_is_parsed_the_same_way(reader: SourceReader, web: Web) -> None:
    for url, why in (
        ("http://[::1", "not a valid URL"),
        ("ftp://example.org/rss", f"{FOREIGN} ftp:"),
        ("javascript:alert(1)", f"{FOREIGN} javascript:"),
    ):
        with pytest.raises(SourceError, match=why):
            reader.poll_feed(url)
    assert web.urls == []
    assert not reader.poll_feed("HTTP://Example.COM/rss").not_modified


def test_a_web_feeds_relative_item_link_is_resolved_against_the_feed() -> None:
    # The item's page is UTF-16, declared only in its Content-Type header.
    page = "<html><body><p>" + "Світло повернули в Ізюм після ремонту. " * 30 + "</p></body></html>"
    item = "<item><title>T</title><link>/news/7</link><description>Short.</description></item>"
    rss = f'<?xml version="1.0"?><rss version="2.0"><channel><title>W</title>{item}</channel></rss>'

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/rss":
            return httpx.Response(200, content=rss.encode(), headers={"Content-Type": "text/xml"})
        body = page.encode("utf-16-le")
        return httpx.Response(
            200, content=body, headers={"Content-Type": "text/html; charset=utf-16le"}
        )

    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        reader = SourceReader(client, SystemClock(), FetchPolicy())
        [article] = list(reader.read("https://news.example/rss"))
    assert isinstance(article, Article), article
    assert article.url == "https://news.example/news/7"
    assert "Світло повернули в Ізюм" in article.text


@pytest.mark.parametrize("link", ["//[::1", "  ", "/ok"])
def test_a_malformed_relative_link_is_no_citation(link: str) -> None:
    assert web_link(link, "https://news.example/rss") in (None, "https://news.example/ok")
    assert web_link(link, "file:///tmp/wire.rss") is None
