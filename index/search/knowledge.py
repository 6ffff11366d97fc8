"""The knowledge base: ingest articles into the store and vector index, answer questions."""

from __future__ import annotations

import logging
import re
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
from index.models import (
    Answer,
    Article,
    Citation,
    Hit,
    IngestFailure,
    IngestReport,
    Passage,
    PlaceMention,
    Span,
    StoredArticle,
)
from index.places.resolve import PlaceIndex
from index.rwlock import ReadWriteLock
from index.search.query import PlaceQuery
from index.search.ranking import Scored, coverage, fold_duplicates, fuse, query_terms
from index.store import NewArticle, Store, content_hash
from index.vectors.base import VectorIndex
from index.vectors.factory import Backend

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
    lexical_max_share: float = 0.02
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
        """The passages that answer ``question`` best, or none and a note saying why.

        A place in the question (or ``near``) limits the answer to passages that name a
        place within the radius; the rest of the question ranks them.
        """
        cfg = self.config
        k = max(1, min(k or cfg.top_k, cfg.max_k))
        text = " ".join(_TAG.sub(" ", question).split())
        prefix = ""
        if len(text) > cfg.max_question_chars:
            text = text[: cfg.max_question_chars].rsplit(" ", 1)[0]
            prefix = f"Only the first {cfg.max_question_chars} characters were used. "

        def empty(note: str, **extra: object) -> Answer:
            return Answer(question, (), prefix + note, since, **extra)  # type: ignore[arg-type]

        if not re.search(r"\w", text) and not near:
            return empty("Ask about something: the question has no words.")
        if self.store.passage_count() == 0:
            return empty("The index is empty: add articles first with `sitrep ingest`.")
        query = PlaceQuery(None, None, text)
        if self.places is not None:
            self.places.ensure_current()
            query = self.places.parse(text, near, radius_km)
        if query.unknown:
            hint = "; ".join(p.label for p in query.suggestions[:3])
            did_you_mean = f" Did you mean {hint}?" if hint else ""
            return empty(
                f'I don\'t know the place "{query.unknown}".{did_you_mean}',
                suggestions=query.suggestions,
            )
        if query.candidates:
            options = "; ".join(
                f"{p.label} at {p.lat:.2f}, {p.lon:.2f} (GeoNames {p.geonameid})"
                for p in query.candidates
            )
            return empty(
                f'"{query.surface}" may be several places: {options}. Name the region '
                f'("{query.surface}, {query.candidates[0].admin1}") or give the GeoNames id.',
                candidates=query.candidates,
            )
        place, radius = query.place, query.radius_km
        allowed = self.store.ids_since(since) if since is not None else None
        geo: dict[int, tuple[float, int]] | None = None
        if place is not None and self.places is not None:
            window = f" since {since:%Y-%m-%d}" if since else ""
            if query.region:
                geo = self.places.in_region(place, since)
                if not geo:
                    return empty(
                        f"Nothing in the {place.admin1} region ({place.country}){window} yet.",
                        place=place,
                    )
            else:
                assert radius is not None
                geo = self.places.within(place, radius, since)
                if not geo:
                    return empty(
                        f"Nothing near {place.label} within {radius:g} km{window} yet.",
                        place=place,
                        radius_km=radius,
                    )
            allowed = np.fromiter(geo, dtype=np.int64, count=len(geo))
        elif allowed is not None and len(allowed) == 0:
            return empty(f"Nothing was published since {since:%Y-%m-%d %H:%M} UTC.")
        topic = query.topic if place is not None else text
        terms = query_terms(topic)
        if geo is not None and not terms:
            order = self._by_time_and_distance(geo)
            found = self.store.citations(order[: cfg.dense_candidates])
            scored = [
                Scored(pid, 1.0 / (1.0 + geo[pid][0] / (radius or 50.0)), 1.0, 1.0, 0.0)
                for pid in order
                if pid in found
            ]
            vectors = self.store.vectors(list(found))
        else:
            # Near a place the whole question is embedded: "shelling in Bajmut" finds the
            # fighting around Bakhmut, where "shelling" alone matches almost nothing.
            dense_text = text if geo is not None else topic
            scored, found, vectors = self._rank(dense_text, terms, allowed, since)
            # Near a place, the place is the filter and the rest of the question only ranks:
            # every passage about the place's surroundings answers "what happened there".
            relevant = (
                scored if geo is not None else [s for s in scored if s.relevance >= cfg.threshold]
            )
            if not relevant:
                best = max((s.relevance for s in scored), default=0.0)
                where = ""
                if place is not None:
                    where = (
                        f" in the {place.admin1} region"
                        if query.region
                        else f" near {place.label} within {radius:g} km"
                    )
                return empty(
                    f'Nothing relevant found for "{topic or text}"{where}: the best passage '
                    f"scored {best:.2f}, under the relevance threshold {cfg.threshold:.2f}.",
                    place=place,
                    radius_km=radius,
                )
            scored = relevant
            if geo is not None:
                when = self._days(found)
                # among a few nearby passages, BM25 scaled by the best says little: rank by
                # the calibrated relevance, then the newer, then the nearer
                scored.sort(key=lambda s: (-round(s.relevance, 2), -when[s.id], geo[s.id][0]))
        groups = fold_duplicates(
            [s.id for s in scored],
            {pid: p.text for pid, (p, _) in found.items()},
            vectors,
            {pid: p.article_id for pid, (p, _) in found.items()},
            k,
        )
        shown = [pid for head, dups in groups for pid in (head, *dups)]
        mentions = self.places.mentions_of(shown, place) if self.places is not None else {}
        by_id = {s.id: s for s in scored}

        def cite(pid: int) -> Citation:
            p, a = found[pid]
            return Citation(article=a, passage=p, places=mentions.get(pid, ()))

        hits = []
        for n, (head, dups) in enumerate(groups, start=1):
            matched = None
            if geo is not None:
                gid = geo[head][1]
                matched = next(
                    (m for m in mentions.get(head, ()) if m.place.geonameid == gid), None
                )
            hits.append(
                Hit(
                    rank=n,
                    score=round(by_id[head].score, 4),
                    relevance=round(by_id[head].relevance, 4),
                    citation=cite(head),
                    duplicates=tuple(cite(d) for d in dups),
                    matched=matched,
                )
            )
        return Answer(question, tuple(hits), prefix.strip() or None, since, place, radius)

    def _rank(
        self, topic: str, terms: list[str], allowed: np.ndarray | None, since: datetime | None
    ) -> tuple[list[Scored], dict[int, tuple[Passage, StoredArticle]], dict[int, np.ndarray]]:
        """Dense candidates for ``topic`` and lexical ones for ``terms``, among ``allowed``."""
        cfg = self.config
        index = self._catch_up()
        qvec = self.embedder.encode([topic or " ".join(terms)])[0]
        with self._rw.read():
            dense = index.search(qvec, cfg.dense_candidates, allowed)
        among = None if allowed is None else [int(i) for i in allowed]
        # BM25 is there for the rare words MiniLM blurs (names, numbers); a word in many
        # passages ranks nothing and costs a scan of all of them, so it is left to the
        # dense score and to coverage.
        frequent = max(500, int(cfg.lexical_max_share * self.store.passage_count()))
        df = self.store.document_frequency(terms)
        rare = [t for t in terms if df[t] <= frequent]
        lexical = self.store.lexical(rare, cfg.lexical_candidates, since, among)
        found = self.store.citations(list({pid for pid, _ in dense} | {pid for pid, _ in lexical}))
        similarity = {pid: score for pid, score in dense}
        vectors = self.store.vectors(list(found))
        for pid in found:
            if pid not in similarity:
                similarity[pid] = float(vectors[pid] @ qvec)
        scored = fuse(
            {pid: similarity[pid] for pid in found},
            {pid: score for pid, score in lexical if pid in found},
            {pid: coverage(terms, found[pid][0].text) for pid in found},
            cfg.lexical_weight,
        )
        return scored, found, vectors

    def _days(self, found: dict[int, tuple[Passage, StoredArticle]]) -> dict[int, int]:
        """Each passage's publication day (ingestion day if undated), as an ordinal."""
        return {pid: (a.published or a.ingested_at).toordinal() for pid, (_, a) in found.items()}

    def _by_time_and_distance(self, geo: dict[int, tuple[float, int]]) -> list[int]:
        """Passage ids newest day first, then nearest, then newest."""
        found = self.store.citations(list(geo))
        when = {pid: (a.published or a.ingested_at) for pid, (_, a) in found.items()}
        return sorted(
            found,
            key=lambda pid: (-when[pid].toordinal(), geo[pid][0], -when[pid].timestamp()),
        )

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
