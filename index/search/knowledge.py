"""The knowledge base: ingest articles into the store and vector index, answer questions."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from index.clock import Clock
from index.embeddings import Embedder
from index.errors import ModelError, StoreError
from index.ingest.passages import split_passages
from index.models import Answer, Article, IngestFailure, IngestReport, PlaceMention, Span
from index.places.resolve import PlaceIndex
from index.rwlock import ReadWriteLock
from index.search.compose import compose
from index.search.question import parse_question
from index.search.retrieve import Retrieval, Retriever
from index.search.retrieve import SearchConfig as SearchConfig  # where bot/ and bench/ take it
from index.store import NewArticle, Store, content_hash
from index.vectors.base import VectorIndex
from index.vectors.factory import Backend

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IndexStats:
    """Counts for ``sitrep stats``."""

    articles: int
    passages: int
    sources: int
    indexed: int
    last_ingest: datetime | None
    model: str | None


class KnowledgeBase:
    """SQLite is the source of truth; the vector index is a cache rebuilt from it when stale.

    Writes go to SQLite first (passages with their vectors, in one transaction), then to the
    vector index, so the index never holds an id that SQLite lacks; at open the index is
    checked against SQLite (count and last id) and rebuilt from the stored vectors if they
    differ.

    The knowledge base owns the index and serialises its use: searches share a read lock,
    while adding, rebuilding and saving hold it alone (FAISS must not change an index that
    is being searched). Writers also take ``_lock``, which orders them among themselves.
    """

    def __init__(
        self,
        store: Store,
        embedder: Callable[[], Embedder],
        index_path: Path,
        vectors: Backend,
        config: SearchConfig,
        clock: Clock,
        batch_passages: int = 256,
        places: PlaceIndex | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.places = places
        self.config = config
        self._embedder_factory = embedder
        self._embedder: Embedder | None = None
        self._index_path = index_path
        self._vectors = vectors
        self._index: VectorIndex | None = None
        self._batch = batch_passages
        self._lock = threading.RLock()
        self._rw = ReadWriteLock()

    # -- components, loaded on first use -----------------------------------------------

    @property
    def embedder(self) -> Embedder:
        """The embedding model, loaded once, checked against the model the store was built with."""
        with self._lock:
            if self._embedder is None:
                embedder = self._embedder_factory()
                stored = self.store.get_meta("model")
                if stored is not None and stored != embedder.name:
                    raise ModelError(
                        f"the stored vectors were made by the model {stored!r}, but the model "
                        f"set now is {embedder.name!r}: set it back, or run "
                        "`sitrep reindex --reembed` to embed everything again"
                    )
                self._embedder = embedder
            return self._embedder

    def _dim(self) -> int:
        stored = self.store.get_meta("dim")
        return int(stored) if stored is not None else self.embedder.dim

    @property
    def index(self) -> VectorIndex:
        """The vector index, loaded or rebuilt so that it matches SQLite."""
        with self._lock:
            if self._index is None:
                self._index = self._open_index()
            return self._index

    def _open_index(self) -> VectorIndex:
        dim = self._dim()
        count, last = self.store.passage_count(), self.store.max_passage_id()
        if self._index_path.exists():
            try:
                index = self._vectors.load(self._index_path, dim)
            except StoreError as exc:
                log.warning("rebuilding the vector index: %s", exc)
            else:
                if len(index) == count and index.max_id == last:
                    return index
                log.warning(
                    "rebuilding the vector index: it holds %d vectors up to id %d, "
                    "the database %d passages up to id %d",
                    len(index),
                    index.max_id,
                    count,
                    last,
                )
        elif count:
            log.warning("rebuilding the vector index: %s is missing", self._index_path)
        return self._rebuild(dim)

    def _rebuild(self, dim: int) -> VectorIndex:
        with self._rw.write():
            index = self._vectors.create(dim)
            for ids, vectors in self.store.iter_vectors(dim=dim):
                index.add(ids, vectors)
            index.save(self._index_path)
        return index

    def _catch_up(self) -> VectorIndex:
        """Add passages another process wrote since the index was loaded."""
        index = self.index
        last = self.store.max_passage_id()
        if last > index.max_id:
            with self._lock, self._rw.write():
                for ids, vectors in self.store.iter_vectors(after_id=index.max_id, dim=index.dim):
                    index.add(ids, vectors)
        return index

    # -- writing ----------------------------------------------------------------------------

    def ingest(
        self,
        items: Iterable[Article | IngestFailure],
        report: IngestReport | None = None,
        on_batch: Callable[[IngestReport], None] | None = None,
        on_added: Callable[[Article], None] | None = None,
    ) -> IngestReport:
        """Split, embed and store articles; failures and known articles are counted, not raised.

        Embedding is batched across articles (``batch_passages`` passages per model call).
        """
        report = report if report is not None else IngestReport()
        passages_before = report.passages
        pending: list[tuple[Article, str, list[Span], list[PlaceMention]]] = []
        context = []
        if self.places is not None:
            self.places.ensure_current()
            context = self.places.hot_context()
        pending_passages = 0
        seen_digests: set[str] = set()
        seen_urls: set[str] = set()

        def flush() -> None:
            nonlocal pending, pending_passages
            if not pending:
                return
            texts = [a.text[s.start : s.end] for a, _, spans, _ in pending for s in spans]
            vectors = self.embedder.encode(texts)
            batch, offset = [], 0
            for article, digest, spans, mentions in pending:
                chunk = vectors[offset : offset + len(spans)]
                batch.append(NewArticle(article, digest, spans, chunk, mentions))
                offset += len(spans)
            with self._lock:
                self._remember_model()
                index = self.index  # opened (and checked) before the new rows land in SQLite
                results = self.store.add(batch, self.clock.now())
                ids: list[int] = []
                rows: list[int] = []
                offset = 0
                for item, got in zip(batch, results, strict=True):
                    if got is None:
                        report.known += 1
                    else:
                        report.added += 1
                        ids.extend(got)
                        if on_added:
                            on_added(item.article)
                        rows.extend(range(offset, offset + len(item.spans)))
                    offset += len(item.spans)
                report.passages += len(ids)
                if ids:
                    with self._rw.write():
                        index.add(np.asarray(ids, dtype=np.int64), vectors[rows])
            pending, pending_passages = [], 0
            if on_batch:
                on_batch(report)

        for item in items:
            if isinstance(item, IngestFailure):
                report.failures.append(item)
                continue
            where = item.url or item.title or "article"
            if not item.text.strip():
                report.failures.append(IngestFailure(where, "no text"))
                continue
            digest = content_hash(item.text)
            if (
                digest in seen_digests
                or (item.url is not None and item.url in seen_urls)
                or self.store.is_known(item.url, digest)
            ):
                report.known += 1
                continue
            seen_digests.add(digest)
            if item.url:
                seen_urls.add(item.url)
            spans = split_passages(item.text)
            mentions = self.places.mentions(item.text, context) if self.places else []
            pending.append((item, digest, spans, mentions))
            pending_passages += len(spans)
            if pending_passages >= self._batch:
                flush()
        flush()
        with self._lock:
            if self._index is not None and report.passages > passages_before:
                with self._rw.write():
                    self._index.save(self._index_path)
        return report

    def _remember_model(self) -> None:
        if self.store.get_meta("model") is None:
            self.store.set_meta("model", self.embedder.name)
            self.store.set_meta("dim", str(self.embedder.dim))

    # -- reading ----------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        k: int | None = None,
        since: datetime | None = None,
        near: str | None = None,
        radius_km: float | None = None,
    ) -> Answer:
        """The passages that answer ``question`` best, or none and a note and reason saying why.

        A place in the question (or ``near``) limits the answer to passages that name a
        place within the radius; the rest of the question ranks them.
        """
        cfg = self.config
        k = max(1, min(k or cfg.top_k, cfg.max_k))
        parsed = parse_question(
            question, k, since, cfg.max_question_chars, self.store, self.places, near, radius_km
        )
        found = Retrieval()
        if parsed.reason is None:
            retriever = Retriever(self.store, self.places, cfg, self._encode, self._search)
            found = retriever.retrieve(parsed)
        return compose(parsed, found, cfg.threshold)

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self.embedder.encode(texts)

    def _search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        """The vector index's search, after catching up with SQLite, under the read lock."""
        index = self._catch_up()
        with self._rw.read():
            return index.search(query, k, allowed)

    def stats(self) -> IndexStats:
        """Counts of articles, passages, sources and indexed vectors."""
        s = self.store.stats()
        indexed = 0
        if s.passages or self._index_path.exists():
            index = self.index
            with self._rw.read():
                indexed = len(index)
        return IndexStats(s.articles, s.passages, s.sources, indexed, s.last_ingest, s.model)

    def reindex(self, reembed: bool = False) -> int:
        """Rebuild the vector index from SQLite; with ``reembed``, embed every passage again."""
        with self._lock:
            if reembed:
                embedder = self._embedder_factory()
                self.store.reembed(embedder.encode, batch=self._batch)
                self.store.set_meta("model", embedder.name)
                self.store.set_meta("dim", str(embedder.dim))
                self._embedder = embedder
            self._index = self._rebuild(self._dim())
            return len(self._index)
