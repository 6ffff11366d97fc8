"""The one place that maps a backend name (the ``vector_index`` setting) to its implementation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from index.vectors.base import VectorIndex
from index.vectors.faiss_index import FaissIndex
from index.vectors.numpy_index import NumpyIndex


@dataclass(frozen=True, slots=True)
class Backend:
    """How to make an empty index of one kind and how to read a saved one back."""

    name: str
    create: Callable[[int], VectorIndex]
    load: Callable[[Path, int], VectorIndex]


BACKENDS: dict[str, Backend] = {
    "faiss": Backend("faiss", FaissIndex, FaissIndex.load),
    "numpy": Backend("numpy", NumpyIndex, NumpyIndex.load),
}


def backend(kind: str) -> Backend:
    """The backend called ``kind``; ValueError naming the known ones otherwise."""
    try:
        return BACKENDS[kind]
    except KeyError:
        known = ", ".join(sorted(BACKENDS))
        raise ValueError(f"unknown vector index {kind!r}: use one of {known}") from None


def create(kind: str, dim: int) -> VectorIndex:
    """An empty index of the backend ``kind`` for vectors of dimension ``dim``."""
    return backend(kind).create(dim)


def load(kind: str, path: Path, dim: int) -> VectorIndex:
    """The index of the backend ``kind`` saved at ``path``; StoreError if it cannot be read."""
    return backend(kind).load(path, dim)
