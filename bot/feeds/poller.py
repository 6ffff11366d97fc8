"""Feed polling: fetch followed feeds when due (conditionally), ingest what is new, back off."""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

from bot.domain.feeds import Feed, PollOutcome, PollStatus
from bot.storage.chats import ChatStore
from index.clock import Clock
from index.errors import SourceError
from index.ingest.sources import FeedPoll, Item, SourceReader
from index.models import Article, IngestFailure, IngestReport
from index.search.knowledge import KnowledgeBase

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=24)


def read_feed_list(path: Path) -> list[str]:
    """The URLs of ``config/feeds.toml`` (``feeds = ["https://...", ...]``); none if absent."""
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SourceError(f"cannot read the feed list {path}: {exc}") from exc
    urls = data.get("feeds", [])
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise SourceError(f'{path}: `feeds` must be a list of URLs, like feeds = ["https://..."]')
    return [u.strip() for u in urls if u.strip()]


def backoff(interval: timedelta, failures: int) -> timedelta:
    """The wait before polling a feed again after ``failures`` failures in a row (doubling)."""
    wait: timedelta = interval * (2 ** min(failures, 16))
    return min(wait, max(MAX_BACKOFF, interval))


class FeedPoller:
    """Polls the feeds of the chat store on their schedule and ingests new articles."""

    def __init__(
        self,
        chats: ChatStore,
        knowledge: KnowledgeBase,
        reader: SourceReader,
        interval: timedelta,
        clock: Clock,
        workers: int = 8,
    ) -> None:
        self.chats = chats
        self.knowledge = knowledge
        self.reader = reader
        self.interval = interval
        self.workers = workers
        self.clock = clock

    def follow(self, urls: Sequence[str], origin: str = "config") -> int:
        """Add feeds (from the config file at start); returns how many were new."""
        now = self.clock.now()
        return sum(self.chats.add_feed(url, origin, None, now) for url in urls)

    def due(self, now: datetime) -> list[Feed]:
        """Feeds never polled, or whose next poll time has come."""
        return [f for f in self.chats.feeds() if f.next_poll is None or f.next_poll <= now]

    def poll_due(self) -> list[PollOutcome]:
        """Fetch every due feed (in parallel), then ingest the new items (one at a time)."""
        now = self.clock.now()
        feeds = self.due(now)
        if not feeds:
            return []

        def known(url: str) -> bool:
            # A summary-only item is not "known" while its page is due to be fetched again.
            return self.knowledge.store.page_known(url, now)

        def fetch(feed: Feed) -> FeedPoll | SourceError:
            try:
                return self.reader.poll_feed(feed.url, feed.etag, feed.last_modified, known)
            except SourceError as exc:
                return exc

        with ThreadPoolExecutor(max_workers=min(self.workers, len(feeds))) as pool:
            polled = list(pool.map(fetch, feeds))
        # One ingest for every feed's new items: the index is saved and the place context
        # read once per poll, not once per feed.
        feed_of: dict[int, str] = {}
        items: list[Item] = []
        for feed, got in zip(feeds, polled, strict=True):
            if isinstance(got, FeedPoll) and not got.not_modified:
                for item in got.items:
                    feed_of[id(item)] = feed.url
                    items.append(item)
        added: dict[str, int] = {}
        partial: dict[str, list[IngestFailure]] = {}

        def count(article: Article) -> None:
            url = feed_of[id(article)]
            added[url] = added.get(url, 0) + 1
            if article.page_error is not None:
                where = article.url or article.title or url
                partial.setdefault(url, []).append(IngestFailure(where, article.page_error))

        if items:
            try:
                report = self.knowledge.ingest(items, IngestReport(), on_added=count)
            except Exception as exc:  # the store or the model failed: every feed backs off
                log.exception("ingesting %d feed items failed", len(items))
                error = SourceError(f"ingest failed: {exc}")
                polled = [
                    error if isinstance(got, FeedPoll) and got.items else got for got in polled
                ]
            else:
                for failure in report.failures:
                    log.info("feed item %s: %s", failure.where, failure.reason)
        return [
            self._record(feed, got, now, added.get(feed.url, 0), partial.get(feed.url, []))
            for feed, got in zip(feeds, polled, strict=True)
        ]

    def _record(
        self,
        feed: Feed,
        got: FeedPoll | SourceError,
        now: datetime,
        added: int,
        summary_only: list[IngestFailure],
    ) -> PollOutcome:
        if isinstance(got, SourceError):
            wait = backoff(self.interval, feed.failures + 1)
            log.warning("feed %s failed (%d in a row): %s", feed.url, feed.failures + 1, got)
            self.chats.record_poll(feed.url, now, now + wait, error=str(got))
            return PollOutcome(feed.url, PollStatus.FAILED, error=str(got))
        next_poll = now + self.interval
        if got.not_modified:
            self.chats.record_poll(feed.url, now, next_poll, got.etag, got.last_modified)
            return PollOutcome(feed.url, PollStatus.NOT_MODIFIED)
        self.chats.record_poll(
            feed.url, now, next_poll, got.etag, got.last_modified, articles=added
        )
        return PollOutcome(feed.url, PollStatus.NEW, added, summary_only=tuple(summary_only))
