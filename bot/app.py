"""The composition root: build every component from settings, in one place, and close them."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx

from bot.digests.watching import Watching
from bot.feeds.poller import FeedPoller
from bot.settings import Settings, apply_offline_mode
from bot.storage.chats import ChatStore
from index.clock import Clock, SystemClock
from index.embeddings import Embedder, SentenceTransformerEmbedder
from index.errors import QueryError
from index.ingest.sources import SourceReader
from index.ingest.urls import looks_like_url
from index.ingest.web import MIB, FetchPolicy
from index.models import Article, IngestFailure, IngestReport
from index.places.cache import GazetteerFiles, add_dump
from index.places.gazetteer import Gazetteer, load_gazetteer
from index.places.resolve import PlaceIndex
from index.search.knowledge import KnowledgeBase
from index.search.retrieve import SearchConfig
from index.store import Store
from index.vectors import factory as vector_backends

log = logging.getLogger(__name__)


@dataclass
class App:
    """Everything a command needs; built by :func:`build_app`, closed by :meth:`close`."""

    settings: Settings
    knowledge: KnowledgeBase
    reader: SourceReader
    _http: httpx.Client
    gazetteer_files: GazetteerFiles
    chats: ChatStore
    watching: Watching
    chat_reader: SourceReader  # for URLs sent from chats: public addresses only
    feeds: FeedPoller
    clock: Clock

    @property
    def places(self) -> PlaceIndex:
        """The place layer (always built by :func:`build_app`)."""
        assert self.knowledge.places is not None
        return self.knowledge.places

    def load_gazetteer_dump(self, dump: Path) -> tuple[int, int]:
        """Add a GeoNames dump; returns (places added, articles whose places were re-read)."""
        added = add_dump(self.gazetteer_files, dump)
        self.places.reload()
        return added, self.knowledge.store.stats().articles

    def ingest_url(self, url: str) -> IngestReport:
        """Ingest one URL sent from a chat: public addresses only, within the size limits."""
        if not looks_like_url(url):
            # Never a path: a chat must not make the bot read its own files. A URL of another
            # scheme, or a malformed one, is the read's failure, saying what is wrong with it.
            raise QueryError(f"not a web address: {url!r} (send an http:// or https:// URL)")
        report = IngestReport()
        self.knowledge.ingest(self.chat_reader.read(url), report)
        return report

    def ingest(
        self,
        targets: list[str],
        on_source: Callable[[str, IngestReport], None] | None = None,
    ) -> IngestReport:
        """Ingest files, folders and URLs; every failure is reported and the rest goes on."""
        report = IngestReport()
        expanded: list[str] = []
        for target in targets:
            files, skipped = self.reader.expand(target)
            expanded.extend(files)
            report.skipped.extend(skipped)

        def items() -> Iterator[Article | IngestFailure]:
            for target in expanded:
                yield from self.reader.read(target)
                if on_source:
                    on_source(target, report)

        self.knowledge.ingest(items(), report)
        return report

    def close(self) -> None:
        """Release the HTTP client and the database."""
        self._http.close()
        self.chats.close()
        self.knowledge.store.close()


def search_config(settings: Settings) -> SearchConfig:
    """The ranking knobs from settings."""
    return SearchConfig(
        top_k=settings.ask_top_k,
        max_k=settings.ask_max_k,
        dense_candidates=settings.ask_dense_candidates,
        lexical_candidates=settings.ask_lexical_candidates,
        lexical_weight=settings.ask_lexical_weight,
        threshold=settings.ask_threshold,
        max_question_chars=settings.ask_max_question_chars,
    )


def build_app(
    settings: Settings,
    embedder: Callable[[], Embedder] | None = None,
    transport: httpx.BaseTransport | None = None,
    gazetteer: Callable[[], Gazetteer] | None = None,
    clock: Clock | None = None,
) -> App:
    """Build the application. The model and the gazetteer load on first use, not here.

    ``embedder``, ``transport``, ``gazetteer`` and ``clock`` are the test seams: a fake
    embedder, a mock HTTP transport, a gazetteer compiled once per test session, a clock the
    test sets. Everything that reads the time reads this one clock.
    """
    apply_offline_mode(settings)
    clock = clock or SystemClock()
    store = Store(settings.db_path)
    files = GazetteerFiles(
        cache=settings.gazetteer_cache,
        extra_dir=settings.gazetteer_dir,
        overrides=settings.places_overrides,
        scope=settings.places_scope,
    )
    places = PlaceIndex(
        store,
        gazetteer or (lambda: load_gazetteer(files)),
        min_confidence=settings.places_min_confidence,
        default_radius_km=settings.places_radius_km,
        in_radius_km=settings.places_in_radius_km,
    )
    knowledge = KnowledgeBase(
        store=store,
        embedder=embedder or (lambda: SentenceTransformerEmbedder(settings.model)),
        index_path=settings.index_path,
        vectors=vector_backends.backend(settings.vector_index),
        config=search_config(settings),
        batch_passages=settings.ingest_batch_passages,
        places=places,
        clock=clock,
    )
    http = httpx.Client(transport=transport)
    policy = FetchPolicy(
        max_bytes=int(settings.ingest_max_document_mb * MIB),
        timeout=settings.ingest_timeout_s,
        user_agent=settings.ingest_user_agent,
        summary_words=settings.ingest_summary_words,
    )
    chat_policy = dataclasses.replace(policy, public_only=not settings.telegram_allow_private_urls)
    chat_reader = SourceReader(http, clock, chat_policy)
    chats = ChatStore(settings.db_path)
    feeds = FeedPoller(
        chats, knowledge, chat_reader, timedelta(minutes=settings.feeds_interval_min), clock=clock
    )
    return App(
        settings,
        knowledge,
        SourceReader(http, clock, policy),
        http,
        files,
        chats,
        Watching(chats, store, places),
        chat_reader,
        feeds,
        clock,
    )
