"""The knowledge base: ingest articles into the store and vector index, answer questions."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from index.embeddings import Embedder
from index.errors import ModelError, StoreError
from index.models import (
    Answer,
    Article,
    Citation,
    Hit,
    IngestFailure,
    IngestReport,
    Passage,
    Span,
    StoredArticle,
)
from index.passages import split_passages
from index.ranking import coverage, fold_duplicates, fuse, query_terms
from index.store import NewArticle, Store, content_hash
from index.vectors import VectorIndex

log = logging.getLogger(__name__)

_TAG = re.compile(r"<[^>]{0,200}>")


@dataclass(frozen=True, slots=True)
class SearchConfig:
    """How questions are answered; the defaults come from settings."""

    top_k: int = 5
    max_k: int = 8
    dense_candidates: int = 50
    lexical_candidates: int = 50
    lexical_weight: float = 0.3
    threshold: float = 0.33
    max_question_chars: int = 500


@dataclass(frozen=True, slots=True)
class IndexStats:
    """Counts for ``sitrep stats``."""

    articles: int
    passages: int
    sources: int
    indexed: int
    last_ingest: datetime | None
    model: str | None


IndexFactory = Callable[[int], VectorIndex]
IndexLoader = Callable[[Path, int], VectorIndex]


class KnowledgeBase:
    """SQLite is the source of truth; the vector index is a cache rebuilt from it when stale.

    Writes go to SQLite first (passages with their vectors, in one transaction), then to the
    vector index, so the index never holds an id that SQLite lacks; at open the index is
    checked against SQLite (count and last id) and rebuilt from the stored vectors if they
    differ.
    """

    def __init__(
        self,
        store: Store,
        embedder: Callable[[], Embedder],
        index_path: Path,
        new_index: IndexFactory,
        load_index: IndexLoader,
        config: SearchConfig,
        batch_passages: int = 256,
    ) -> None:
        self.store = store
        self.config = config
        self._embedder_factory = embedder
        self._embedder: Embedder | None = None
        self._index_path = index_path
        self._new_index = new_index
        self._load_index = load_index
        self._index: VectorIndex | None = None
        self._batch = batch_passages
        self._lock = threading.RLock()

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
                index = self._load_index(self._index_path, dim)
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
        index = self._new_index(dim)
        for ids, vectors in self.store.iter_vectors(dim=dim):
            index.add(ids, vectors)
        index.save(self._index_path)
        return index

    def _catch_up(self) -> VectorIndex:
        """Add passages another process wrote since the index was loaded."""
        index = self.index
        last = self.store.max_passage_id()
        if last > index.max_id:
            with self._lock:
                for ids, vectors in self.store.iter_vectors(after_id=index.max_id, dim=index.dim):
                    index.add(ids, vectors)
        return index

    # -- writing ----------------------------------------------------------------------------

    def ingest(
        self,
        items: Iterable[Article | IngestFailure],
        report: IngestReport | None = None,
        on_batch: Callable[[IngestReport], None] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> IngestReport:
        """Split, embed and store articles; failures and known articles are counted, not raised.

        Embedding is batched across articles (``batch_passages`` passages per model call).
        """
        report = report if report is not None else IngestReport()
        pending: list[tuple[Article, str, list[Span]]] = []
        pending_passages = 0
        seen_digests: set[str] = set()
        seen_urls: set[str] = set()

        def flush() -> None:
            nonlocal pending, pending_passages
            if not pending:
                return
            texts = [a.text[s.start : s.end] for a, _, spans in pending for s in spans]
            vectors = self.embedder.encode(texts)
            batch, offset = [], 0
            for article, digest, spans in pending:
                chunk = vectors[offset : offset + len(spans)]
                batch.append(NewArticle(article, digest, spans, chunk))
                offset += len(spans)
            with self._lock:
                self._remember_model()
                index = self.index  # opened (and checked) before the new rows land in SQLite
                results = self.store.add(batch, now())
                ids: list[int] = []
                rows: list[int] = []
                offset = 0
                for item, got in zip(batch, results, strict=True):
                    if got is None:
                        report.known += 1
                    else:
                        report.added += 1
                        ids.extend(got)
                        rows.extend(range(offset, offset + len(item.spans)))
                    offset += len(item.spans)
                report.passages += len(ids)
                if ids:
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
            pending.append((item, digest, spans))
            pending_passages += len(spans)
            if pending_passages >= self._batch:
                flush()
        flush()
        with self._lock:
            if self._index is not None:
                self._index.save(self._index_path)
        return report

    def _remember_model(self) -> None:
        if self.store.get_meta("model") is None:
            self.store.set_meta("model", self.embedder.name)
            self.store.set_meta("dim", str(self.embedder.dim))

    # -- reading ----------------------------------------------------------------------------

    def ask(self, question: str, k: int | None = None, since: datetime | None = None) -> Answer:
        """The passages that answer ``question`` best, or none and a note saying why."""
        cfg = self.config
        k = max(1, min(k or cfg.top_k, cfg.max_k))
        text = " ".join(_TAG.sub(" ", question).split())
        note_prefix = ""
        if len(text) > cfg.max_question_chars:
            text = text[: cfg.max_question_chars].rsplit(" ", 1)[0]
            note_prefix = f"Only the first {cfg.max_question_chars} characters were used. "
        if not re.search(r"\w", text):
            return Answer(question, (), "Ask about something: the question has no words.", since)
        if self.store.passage_count() == 0:
            return Answer(
                question, (), "The index is empty: add articles first with `sitrep ingest`.", since
            )
        allowed = self.store.ids_since(since) if since is not None else None
        if allowed is not None and len(allowed) == 0:
            note = f"Nothing was published since {since:%Y-%m-%d %H:%M} UTC."
            return Answer(question, (), note, since)
        index = self._catch_up()
        qvec = self.embedder.encode([text])[0]
        dense = index.search(qvec, cfg.dense_candidates, allowed)
        terms = query_terms(text)
        lexical = self.store.lexical(terms, cfg.lexical_candidates, since)
        found = self.store.citations(list({pid for pid, _ in dense} | {pid for pid, _ in lexical}))
        similarity = {pid: score for pid, score in dense}
        missing = [pid for pid in found if pid not in similarity]
        vectors = self.store.vectors(list(found))
        for pid in missing:
            similarity[pid] = float(vectors[pid] @ qvec)
        scored = fuse(
            {pid: similarity[pid] for pid in found},
            {pid: score for pid, score in lexical if pid in found},
            {pid: coverage(terms, found[pid][0].text) for pid in found},
            cfg.lexical_weight,
        )
        relevant = [s for s in scored if s.relevance >= cfg.threshold]
        if not relevant:
            best = max((s.relevance for s in scored), default=0.0)
            return Answer(
                question,
                (),
                note_prefix + f'Nothing relevant found for "{text}": the best passage scored '
                f"{best:.2f}, under the relevance threshold {cfg.threshold:.2f}.",
                since,
            )
        groups = fold_duplicates(
            [s.id for s in relevant],
            {pid: p.text for pid, (p, _) in found.items()},
            vectors,
            {pid: p.article_id for pid, (p, _) in found.items()},
            k,
        )
        by_id = {s.id: s for s in relevant}
        hits = tuple(
            Hit(
                rank=n,
                score=round(by_id[head].score, 4),
                relevance=round(by_id[head].relevance, 4),
                citation=_citation(found[head]),
                duplicates=tuple(_citation(found[d]) for d in dups),
            )
            for n, (head, dups) in enumerate(groups, start=1)
        )
        return Answer(question, hits, note_prefix.strip() or None, since)

    def stats(self) -> IndexStats:
        """Counts of articles, passages, sources and indexed vectors."""
        s = self.store.stats()
        indexed = len(self.index) if s.passages or self._index_path.exists() else 0
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


def _citation(row: tuple[Passage, StoredArticle]) -> Citation:
    return Citation(article=row[1], passage=row[0])
