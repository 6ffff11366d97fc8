"""The knowledge base: the composition of ingest, the passages' vectors and questions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from index.clock import Clock
from index.embeddings import Embedder
from index.ingest.pipeline import Ingester
from index.models import Answer
from index.places.resolve import PlaceIndex
from index.search.compose import compose
from index.search.question import parse_question
from index.search.retrieve import Retrieval, Retriever, SearchConfig
from index.store import Store
from index.vectors.factory import Backend
from index.vectors.passages import PassageVectors


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
    """Articles in, answers out: SQLite holds the truth, :class:`PassageVectors` owns the vector
    index kept in step with it (and serialises its readers and writers), :class:`Ingester`
    adds articles, and a question is parsed, retrieved and composed into an answer."""

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
        self.vectors = PassageVectors(store, embedder, index_path, vectors, batch_passages)
        # Split, embed and store articles; failures and known articles are counted, not raised.
        self.ingest = Ingester(store, self.vectors, clock, places, batch_passages).ingest

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
            question,
            k,
            since,
            cfg.max_question_chars,
            self.store,
            self.places,
            near,
            radius_km,
            self.clock.now(),
        )
        found = Retrieval()
        if parsed.reason is None:
            retriever = Retriever(
                self.store, self.places, cfg, self.vectors.encode, self.vectors.search
            )
            found = retriever.retrieve(parsed)
        return compose(parsed, found, cfg.threshold)

    def stats(self) -> IndexStats:
        """Counts of articles, passages, sources and indexed vectors."""
        s = self.store.stats()
        indexed = self.vectors.count(s.passages)
        return IndexStats(s.articles, s.passages, s.sources, indexed, s.last_ingest, s.model)

    def reindex(self, reembed: bool = False) -> int:
        """Rebuild the vector index from SQLite; with ``reembed``, embed every passage again."""
        return self.vectors.rebuild(reembed)
