"""The NumPy backend: the FAISS contract in plain NumPy (tests, tiny corpora), saved as ``.npz``."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from index.errors import StoreError
from index.vectors.base import checked


class _Snapshot(NamedTuple):
    """Ids and vectors that belong together; never changed, only replaced whole."""

    ids: np.ndarray
    vectors: np.ndarray


def _frozen(ids: np.ndarray, vectors: np.ndarray) -> _Snapshot:
    ids.flags.writeable = False
    vectors.flags.writeable = False
    return _Snapshot(ids, vectors)


class NumpyIndex:
    """The same contract as :class:`~index.vectors.faiss_index.FaissIndex`, in plain NumPy.

    Ids and vectors live in one immutable snapshot replaced by a single assignment, so a
    search never sees the ids of one state with the vectors of another.
    """

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._data = _frozen(np.zeros(0, dtype=np.int64), np.zeros((0, dim), dtype=np.float32))

    @classmethod
    def load(cls, path: Path, dim: int) -> NumpyIndex:
        """Read an index written by :meth:`save`; StoreError if it is unreadable or foreign."""
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
        return len(self._data.ids)

    @property
    def max_id(self) -> int:
        """The highest id held, 0 when empty."""
        ids = self._data.ids
        return int(ids.max()) if len(ids) else 0

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under the given ids (ids must be new)."""
        ids, vectors = checked(ids, vectors, self.dim)
        old = self._data
        self._data = _frozen(np.concatenate([old.ids, ids]), np.concatenate([old.vectors, vectors]))

    def remove(self, ids: np.ndarray) -> int:
        """Drop the vectors of these ids (ids not held are ignored); returns how many went."""
        old = self._data
        keep = ~np.isin(old.ids, np.asarray(ids, dtype=np.int64))
        self._data = _frozen(old.ids[keep], old.vectors[keep])
        return int(len(keep) - keep.sum())

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest (id, score), best first, among ``allowed`` ids if given."""
        ids, vectors = self._data
        if allowed is not None:
            mask = np.isin(ids, allowed)
            ids, vectors = ids[mask], vectors[mask]
        if len(ids) == 0 or k <= 0:
            return []
        scores = vectors @ np.asarray(query, dtype=np.float32).reshape(self.dim)
        top = np.argsort(-scores, kind="stable")[:k]
        return [(int(ids[i]), float(scores[i])) for i in top]

    def save(self, path: Path) -> None:
        """Write the index to ``path`` atomically."""
        data = self._data
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, ids=data.ids, vectors=data.vectors)
        os.replace(tmp, path)
