"""The passages' vectors: the model checked against the store, the index kept in step with it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from index.embeddings import Embedder
from index.errors import ModelError, StoreError
from index.rwlock import ReadWriteLock
from index.store import Store
from index.vectors.base import VectorIndex
from index.vectors.factory import Backend

log = logging.getLogger(__name__)


class PassageVectors:
    """SQLite is the source of truth; the vector index is a cache rebuilt from it when stale.

    Writes go to SQLite first (passages with their vectors, in one transaction), then to the
    vector index, so the index never holds an id that SQLite lacks; at open the index is
    checked against SQLite (count and last id) and rebuilt from the stored vectors if they
    differ.

    This object owns the index and serialises its use: searches share a read lock, while
    adding, rebuilding and saving hold it alone (FAISS must not change an index that is being
    searched). Writers also hold :attr:`writing`, which orders them among themselves.
    """

    def __init__(
        self,
        store: Store,
        embedder: Callable[[], Embedder],
        index_path: Path,
        vectors: Backend,
        batch_passages: int = 256,
    ) -> None:
        self.store = store
        self.index_path = index_path
        self._embedder_factory = embedder
        self._embedder: Embedder | None = None
        self._vectors = vectors
        self._index: VectorIndex | None = None
        self._batch = batch_passages
        self.writing = threading.RLock()
        self._rw = ReadWriteLock()

    # -- components, loaded on first use -----------------------------------------------

    @property
    def embedder(self) -> Embedder:
        """The embedding model, loaded once, checked against the model the store was built with."""
        with self.writing:
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

    def encode(self, texts: list[str]) -> np.ndarray:
        """The embedding of each text, one row per text."""
        return self.embedder.encode(texts)

    def remember_model(self) -> None:
        """Record the model and its dimension in the store, when the first vectors are stored."""
        if self.store.get_meta("model") is None:
            self.store.set_meta("model", self.embedder.name)
            self.store.set_meta("dim", str(self.embedder.dim))

    def _dim(self) -> int:
        stored = self.store.get_meta("dim")
        return int(stored) if stored is not None else self.embedder.dim

    @property
    def index(self) -> VectorIndex:
        """The vector index, loaded or rebuilt so that it matches SQLite."""
        with self.writing:
            if self._index is None:
                self._index = self._open_index()
            return self._index

    def _open_index(self) -> VectorIndex:
        dim = self._dim()
        count, last = self.store.passage_count(), self.store.max_passage_id()
        if self.index_path.exists():
            try:
                index = self._vectors.load(self.index_path, dim)
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
            log.warning("rebuilding the vector index: %s is missing", self.index_path)
        return self._rebuild(dim)

    def _rebuild(self, dim: int) -> VectorIndex:
        with self._rw.write():
            index = self._vectors.create(dim)
            for ids, vectors in self.store.iter_vectors(dim=dim):
                index.add(ids, vectors)
            index.save(self.index_path)
        return index

    def _catch_up(self) -> VectorIndex:
        """Add passages another process wrote since the index was loaded."""
        index = self.index
        last = self.store.max_passage_id()
        if last > index.max_id:
            with self.writing, self._rw.write():
                for ids, vectors in self.store.iter_vectors(after_id=index.max_id, dim=index.dim):
                    index.add(ids, vectors)
        return index

    # -- writing ----------------------------------------------------------------------------

    def add(self, index: VectorIndex, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors of passages SQLite holds already, with no search inside the index."""
        with self.writing, self._rw.write():  # re-entrant: the ingest step may hold it already
            index.add(ids, vectors)

    def remove(self, index: VectorIndex, ids: np.ndarray) -> None:
        """Drop the vectors of passages SQLite has deleted (an article replaced)."""
        with self.writing, self._rw.write():
            index.remove(ids)

    def save(self) -> None:
        """Write the index to its file, if it is open."""
        with self.writing:
            if self._index is not None:
                with self._rw.write():
                    self._index.save(self.index_path)

    def rebuild(self, reembed: bool = False) -> int:
        """Rebuild the index from SQLite; with ``reembed``, embed every passage again first."""
        with self.writing:
            if reembed:
                embedder = self._embedder_factory()
                self.store.reembed(embedder.encode, batch=self._batch)
                self.store.set_meta("model", embedder.name)
                self.store.set_meta("dim", str(embedder.dim))
                self._embedder = embedder
            self._index = self._rebuild(self._dim())
            return len(self._index)

    # -- reading ----------------------------------------------------------------------------

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        """The vector index's search, after catching up with SQLite, under the read lock."""
        index = self._catch_up()
        with self._rw.read():
            return index.search(query, k, allowed)

    def count(self, passages: int) -> int:
        """How many vectors the index holds; 0, without loading anything, when the store has
        no ``passages`` and there is no index file."""
        if not passages and not self.index_path.exists():
            return 0
        index = self.index
        with self._rw.read():
            return len(index)
