"""The ingest step: articles split, placed, embedded in batches and stored, then indexed."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from index.clock import Clock
from index.ingest.passages import split_passages
from index.models import Article, IngestFailure, IngestReport, PlaceMention, Span
from index.places.resolve import PlaceIndex
from index.store import Store
from index.store.writes import NewArticle, content_hash
from index.vectors.passages import PassageVectors


class Ingester:
    """Adds articles to the store and the vector index; failures and known articles are counted,
    not raised. Embedding is batched across articles (``batch_passages`` passages per call)."""

    def __init__(
        self,
        store: Store,
        vectors: PassageVectors,
        clock: Clock,
        places: PlaceIndex | None = None,
        batch_passages: int = 256,
    ) -> None:
        self.store = store
        self.vectors = vectors
        self.clock = clock
        self.places = places
        self._batch = batch_passages

    def ingest(
        self,
        items: Iterable[Article | IngestFailure],
        report: IngestReport | None = None,
        on_batch: Callable[[IngestReport], None] | None = None,
        on_added: Callable[[Article], None] | None = None,
    ) -> IngestReport:
        """Split, embed and store articles; failures and known articles are counted, not raised."""
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
            vectors = self.vectors.encode(texts)
            batch, offset = [], 0
            for article, digest, spans, mentions in pending:
                chunk = vectors[offset : offset + len(spans)]
                batch.append(NewArticle(article, digest, spans, chunk, mentions))
                offset += len(spans)
            with self.vectors.writing:
                self.vectors.remember_model()
                index = self.vectors.index  # opened (and checked) before the rows land in SQLite
                results, replaced = self.store.add_replacing(batch, self.clock.now())
                if replaced:  # summary-only articles replaced by their pages: their vectors go
                    self.vectors.remove(index, np.asarray(replaced, dtype=np.int64))
                ids: list[int] = []
                rows: list[int] = []
                offset = 0
                for item, got in zip(batch, results, strict=True):
                    if got is None:
                        report.known += 1
                    else:
                        report.added += 1
                        if item.article.page_error is not None:
                            where = item.article.url or item.article.title or "article"
                            report.summary_only.append(
                                IngestFailure(where, item.article.page_error)
                            )
                        ids.extend(got)
                        if on_added:
                            on_added(item.article)
                        rows.extend(range(offset, offset + len(item.spans)))
                    offset += len(item.spans)
                report.passages += len(ids)
                if ids:
                    self.vectors.add(index, np.asarray(ids, dtype=np.int64), vectors[rows])
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
                or self.store.is_known(item.url, digest, full_page=item.page_error is None)
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
        if report.passages > passages_before:
            self.vectors.save()
        return report
