"""Ingest targets read into articles: files, folders, web pages and feeds, one failure at a time."""

from __future__ import annotations

import logging
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from index.clock import Clock
from index.errors import SourceError
from index.ingest.charsets import charset_of, decode_text
from index.ingest.formats import (
    FEED_SUFFIXES,
    HTML_SUFFIXES,
    JSONL_SUFFIXES,
    KNOWN_SUFFIXES,
    TEXT_SUFFIXES,
    entry_text,
    html_article,
    parse_jsonl,
    read_feed,
    sniff_format,
    text_article,
    web_format,
)
from index.ingest.netguard import Resolver
from index.ingest.urls import looks_like_url, web_link
from index.ingest.web import Download, FetchPolicy, download
from index.models import Article, IngestFailure

log = logging.getLogger(__name__)

Item = Article | IngestFailure


@dataclass(frozen=True, slots=True)
class FeedPoll:
    """One conditional GET of a feed: its items, or ``not_modified`` and none when unchanged.

    ``etag`` and ``last_modified`` are the validators to send next time.
    """

    items: list[Item]
    etag: str | None
    last_modified: str | None
    not_modified: bool


_NOT_REGULAR = "not a regular file (a device, a pipe or a socket): not read"


def _path_target(path: Path) -> str:
    """``path`` as a target :meth:`SourceReader.read` takes for a path: ``ftp:/x`` (which
    ``./ftp:/x`` normalises to) would read as a URL, so it keeps its ``./``."""
    text = str(path)
    return f"./{text}" if looks_like_url(text) else text


class SourceReader:
    """Turns ingest targets (paths and URLs) into articles, reporting failures as items.

    A failure of one target, file, line or feed item never stops the others.
    """

    def __init__(
        self,
        client: httpx.Client,
        clock: Clock,
        policy: FetchPolicy | None = None,
        resolve: Resolver | None = None,
    ) -> None:
        """``clock`` dates what is read; ``resolve`` looks host names up for
        ``policy.public_only`` (default getaddrinfo)."""
        self.client = client
        self.clock = clock
        self.policy = policy or FetchPolicy()
        self.resolve = resolve

    def expand(self, target: str) -> tuple[list[str], list[str]]:
        """The targets a path or URL stands for (a folder's files, recursively), and skips."""
        if looks_like_url(target):
            return [target], []
        path = Path(target).expanduser()
        if not path.is_dir():
            return [_path_target(path)], []
        files, skipped = [], []
        for p in sorted(path.rglob("*")):
            if p.is_dir() or any(part.startswith(".") for part in p.relative_to(path).parts):
                continue
            if not p.is_file():  # a device, pipe or socket: reading it could hang or never end
                skipped.append(f"{p}: {_NOT_REGULAR}")
            elif p.suffix.lower() in KNOWN_SUFFIXES:
                files.append(_path_target(p))
            else:
                skipped.append(f"{p}: not a supported type ({p.suffix or 'no suffix'})")
        return files, skipped

    def read(self, target: str) -> Iterator[Item]:
        """Articles from one file or URL (not a folder: see :meth:`expand`)."""
        try:
            if looks_like_url(target):
                yield from self._read_url(target)
            else:
                yield from self._read_file(Path(target))
        except SourceError as exc:
            yield IngestFailure(target, str(exc))

    # -- files --------------------------------------------------------------------------

    def _read_file(self, path: Path) -> Iterator[Item]:
        try:
            info = path.stat()
            if not stat.S_ISREG(info.st_mode):  # checked before opening: opening a FIFO blocks
                raise SourceError(_NOT_REGULAR)
            self.policy.check_size(info.st_size)  # what stat says: refused without reading
            with path.open("rb") as handle:
                # Read one byte past the limit: stat's size is not trusted (files in /proc
                # say 0, and a file may grow while it is read).
                data = handle.read(self.policy.max_bytes + 1)
            self.policy.check_size(len(data), exact=len(data) <= self.policy.max_bytes)
        except FileNotFoundError as exc:
            raise SourceError("no such file or folder") from exc
        except OSError as exc:
            raise SourceError(f"cannot read: {exc.strerror or exc}") from exc
        if not data.strip():
            raise SourceError("empty file")
        url = path.resolve().as_uri()
        suffix = path.suffix.lower()
        if suffix not in KNOWN_SUFFIXES:
            suffix = sniff_format(data)
        if suffix in JSONL_SUFFIXES:
            yield from parse_jsonl(data, str(path))  # line by line: a bad line fails alone
        elif suffix in HTML_SUFFIXES:
            yield html_article(data, url, self.clock.now())
        elif suffix in FEED_SUFFIXES:
            yield from self._feed(data, url)
        else:
            yield text_article(decode_text(data), url, fallback_title=path.stem)

    # -- the web ------------------------------------------------------------------------

    def fetch(self, url: str) -> tuple[bytes, str]:
        """GET ``url`` within the size and time limits: (body, content type)."""
        got = self._get(url)
        return got.body, got.headers.get("content-type", "")

    def poll_feed(
        self,
        url: str,
        etag: str | None = None,
        last_modified: str | None = None,
        known: Callable[[str], bool] | None = None,
    ) -> FeedPoll:
        """Read ``url`` as :meth:`read` does, unless the server says it is unchanged (HTTP 304).

        ``etag`` and ``last_modified`` are the validators of the last poll. Items whose link
        ``known`` says is stored already are left out, their pages not fetched (a stored item
        whose page failed is not "known" while it is due to be fetched again). Raises SourceError
        when the URL cannot be read; a feed item that fails is an IngestFailure among the items.
        """
        conditions = {}
        if etag:
            conditions["If-None-Match"] = etag
        if last_modified:
            conditions["If-Modified-Since"] = last_modified
        got = self._get(url, conditions)
        if got.status == 304:
            # A 304 need not repeat the validators; the ones sent are still current then.
            return FeedPoll(
                items=[],
                etag=got.headers.get("etag") or etag,
                last_modified=got.headers.get("last-modified") or last_modified,
                not_modified=True,
            )
        items = list(self._read_body(got.body, got.headers.get("content-type", ""), url, known))
        return FeedPoll(
            items=items,
            etag=got.headers.get("etag"),
            last_modified=got.headers.get("last-modified"),
            not_modified=False,
        )

    def _get(self, url: str, conditions: dict[str, str] | None = None) -> Download:
        return download(
            self.client, url, self.policy, self.clock.monotonic, self.resolve, conditions
        )

    def _read_url(self, url: str) -> Iterator[Item]:
        yield from self._read_body(*self.fetch(url), url)

    def _read_body(
        self, body: bytes, ctype: str, url: str, known: Callable[[str], bool] | None = None
    ) -> Iterator[Item]:
        if not body.strip():
            raise SourceError("the server sent an empty page")
        suffix = web_format(body, ctype)
        if suffix in FEED_SUFFIXES:
            yield from self._feed(body, url, known)
        elif suffix in TEXT_SUFFIXES:
            yield text_article(decode_text(body, charset_of(ctype)), url, fallback_title=None)
        else:
            yield html_article(body, url, self.clock.now(), charset=charset_of(ctype))

    def _feed(
        self, data: bytes, url: str, known: Callable[[str], bool] | None = None
    ) -> Iterator[Item]:
        """The feed's items as articles. An item's link is its citation only when it is an
        http(s) URL: a ``file:``, ``javascript:``, ``ftp:`` or ``data:`` link (or a malformed
        one) is dropped, and the item is stored with its text and no URL rather than a citation
        that points off the web (the feed's own URL would cite a page that is not the item)."""
        feed_title, entries = read_feed(data, url)
        for n, entry in enumerate(entries, start=1):
            link = entry.get("link")
            link = web_link(link, url)
            if link and known is not None and known(link):
                continue  # stored already: neither its page nor its text is needed again
            where = link or f"{url} item {n}"
            try:
                yield self._feed_item(entry, feed_title, link)
            except SourceError as exc:
                yield IngestFailure(where, str(exc))

    def _feed_item(self, entry: Any, feed_title: str | None, link: str | None) -> Article:
        text, published = entry_text(entry)
        title = entry.get("title")
        page_error = None
        if link and len(text.split()) < self.policy.summary_words:  # link: http(s) or None
            try:
                body, ctype = self.fetch(link)
                page = html_article(body, link, self.clock.now(), charset=charset_of(ctype))
            except SourceError as exc:
                if not text:
                    raise SourceError(f"the feed gives no text and the page failed: {exc}") from exc
                log.info("using the feed summary of %s: %s", link, exc)
                page_error = f"page failed: {exc}"  # stored as the summary, fetched again later
            else:
                if len(page.text.split()) > len(text.split()):
                    text = page.text
                    published = published or page.published
        if not text.strip():
            raise SourceError("the feed item has no text")
        return Article(
            text=text,
            url=link,
            title=title,
            published=published,
            source=feed_title,
            page_error=page_error,
        )
