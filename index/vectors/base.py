"""The contract every vector index keeps, and the input check they share."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np


class VectorIndex(Protocol):
    """Ids are passage ids in the store; scores are inner products (cosine on unit vectors).

    An index is not safe to change while it is searched: its owner serialises writers
    (``add``, ``remove``, ``save``) against readers (``search``).
    """

    dim: int

    def __len__(self) -> int: ...

    @property
    def max_id(self) -> int:
        """The highest id held, 0 when empty."""
        ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under the given ids (ids must be new)."""
        ...

    def remove(self, ids: np.ndarray) -> int:
        """Drop the vectors of these ids (ids not held are ignored); returns how many went."""
        ...

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest (id, score), best first, among ``allowed`` ids if given."""
        ...

    def save(self, path: Path) -> None:
        """Write the index to ``path`` atomically."""
        ...


def checked(ids: np.ndarray, vectors: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """``ids`` and ``vectors`` as contiguous int64 and float32; ValueError if they do not pair
    up as ``len(ids)`` vectors of dimension ``dim``."""
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[1] != dim or len(ids) != len(vectors):
        raise ValueError(f"expected {len(ids)} vectors of dimension {dim}, got {vectors.shape}")
    return ids, vectors
