"""Vector indexes over normalised embeddings: FAISS (inner product) and a NumPy twin for tests."""

from __future__ import annotations

import logging
import os
import zipfile
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.errors import StoreError

log = logging.getLogger(__name__)


class VectorIndex(Protocol):
    """Ids are passage ids in the store; scores are inner products (cosine on unit vectors)."""

    dim: int

    def __len__(self) -> int: ...

    @property
    def max_id(self) -> int:
        """The highest id held, 0 when empty."""
        ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under the given ids (ids must be new)."""
        ...

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest (id, score), best first, among ``allowed`` ids if given."""
        ...

    def save(self, path: Path) -> None:
        """Write the index to ``path`` atomically."""
        ...


def _check(ids: np.ndarray, vectors: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[1] != dim or len(ids) != len(vectors):
        raise ValueError(f"expected {len(ids)} vectors of dimension {dim}, got {vectors.shape}")
    return ids, vectors


class FaissIndex:
    """Exact inner-product search with ``IndexIDMap2(IndexFlatIP)``."""

    def __init__(self, dim: int, index: Any = None) -> None:
        import faiss

        # One query vector at a time gains nothing from threads, and FAISS's OpenMP threads
        # spin after each search, stealing the cores PyTorch needs to encode the next one.
        faiss.omp_set_num_threads(1)
        self.dim = dim
        self._faiss: Any = faiss
        self._index: Any = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        ids = faiss.vector_to_array(self._index.id_map)
        self._max_id = int(ids.max()) if len(ids) else 0

    @classmethod
    def load(cls, path: Path, dim: int) -> FaissIndex:
        """Read an index written by :meth:`save`; StoreError if it is unreadable or foreign."""
        import faiss

        try:
            index = faiss.read_index(str(path))
        except (RuntimeError, OSError) as exc:
            raise StoreError(f"cannot read the vector index {path}: {exc}") from exc
        if index.d != dim or not hasattr(index, "id_map"):
            raise StoreError(f"{path} holds a different kind of index (dimension {index.d})")
        return cls(dim, index)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def max_id(self) -> int:
        return self._max_id

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids, vectors = _check(ids, vectors, self.dim)
        if len(ids):
            self._index.add_with_ids(vectors, ids)
            self._max_id = max(self._max_id, int(ids.max()))

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        if len(self) == 0 or k <= 0 or (allowed is not None and len(allowed) == 0):
            return []
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, self.dim)
        params = None
        if allowed is not None:
            sel = self._faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
            params = self._faiss.SearchParameters(sel=sel)
        scores, ids = self._index.search(q, min(k, len(self)), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        self._faiss.write_index(self._index, str(tmp))
        os.replace(tmp, path)


class NumpyIndex:
    """The same contract as :class:`FaissIndex`, in plain NumPy (tests, tiny corpora)."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._ids = np.zeros(0, dtype=np.int64)
        self._vectors = np.zeros((0, dim), dtype=np.float32)

    @classmethod
    def load(cls, path: Path, dim: int) -> NumpyIndex:
        """Read an index written by :meth:`save`."""
        try:
            with path.open("rb") as fh, np.load(fh) as data:
                ids, vectors = data["ids"], data["vectors"]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise StoreError(f"cannot read the vector index {path}: {exc}") from exc
        if vectors.ndim != 2 or vectors.shape[1] != dim or len(ids) != len(vectors):
            raise StoreError(f"{path} holds vectors of shape {vectors.shape}, not (n, {dim})")
        index = cls(dim)
        index.add(ids, vectors)
        return index

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def max_id(self) -> int:
        return int(self._ids.max()) if len(self._ids) else 0

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids, vectors = _check(ids, vectors, self.dim)
        self._ids = np.concatenate([self._ids, ids])
        self._vectors = np.concatenate([self._vectors, vectors])

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        ids, vectors = self._ids, self._vectors
        if allowed is not None:
            mask = np.isin(ids, allowed)
            ids, vectors = ids[mask], vectors[mask]
        if len(ids) == 0 or k <= 0:
            return []
        scores = vectors @ np.asarray(query, dtype=np.float32).reshape(self.dim)
        top = np.argsort(-scores, kind="stable")[:k]
        return [(int(ids[i]), float(scores[i])) for i in top]

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, ids=self._ids, vectors=self._vectors)
        os.replace(tmp, path)
