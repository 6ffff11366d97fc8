"""The FAISS backend: exact inner-product search, persisted with FAISS's own index file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import StoreError
from index.vectors.base import checked


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
        """The highest id held, 0 when empty."""
        return self._max_id

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under the given ids (ids must be new)."""
        ids, vectors = checked(ids, vectors, self.dim)
        if len(ids):
            self._index.add_with_ids(vectors, ids)
            self._max_id = max(self._max_id, int(ids.max()))

    def remove(self, ids: np.ndarray) -> int:
        """Drop the vectors of these ids (ids not held are ignored); returns how many went."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if not len(ids):
            return 0
        removed = int(self._index.remove_ids(self._faiss.IDSelectorBatch(ids)))
        held = self._faiss.vector_to_array(self._index.id_map)
        self._max_id = int(held.max()) if len(held) else 0
        return removed

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest (id, score), best first, among ``allowed`` ids if given."""
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
        """Write the index to ``path`` atomically."""
        tmp = path.with_name(path.name + ".tmp")
        self._faiss.write_index(self._index, str(tmp))
        os.replace(tmp, path)
