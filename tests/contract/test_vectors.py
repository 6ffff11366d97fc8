"""One VectorIndex contract, run over every implementation: FAISS and its NumPy twin."""

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np
import pytest

from index.errors import StoreError
from index.vectors import factory
from index.vectors.base import VectorIndex
from index.vectors.factory import Backend

DIM = 8
Kind = Backend


@pytest.fixture(params=sorted(factory.BACKENDS))
def kind(request: pytest.FixtureRequest) -> Kind:
    """Every backend the factory knows, made and loaded through the factory."""
    return factory.backend(request.param)


def unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def filled(
    kind: Kind, n: int = 20, seed: int = 0, first_id: int = 100
) -> tuple[VectorIndex, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    vectors = unit(rng.normal(size=(n, DIM)))
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    index = kind.create(DIM)
    index.add(ids, vectors)
    return index, ids, vectors


def expected(ids: np.ndarray, vectors: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    scores = vectors @ query
    return [int(ids[i]) for i in np.argsort(-scores)[:k]]


def test_empty_index_finds_nothing(kind: Kind) -> None:
    index = kind.create(DIM)
    assert len(index) == 0
    assert index.max_id == 0
    assert index.search(unit(np.ones((1, DIM)))[0], 5) == []


def test_search_returns_ids_best_first_with_inner_product_scores(kind: Kind) -> None:
    index, ids, vectors = filled(kind)
    query = vectors[7]
    results = index.search(query, 5)
    assert [pid for pid, _ in results] == expected(ids, vectors, query, 5)
    assert results[0] == (int(ids[7]), pytest.approx(1.0, abs=1e-5))
    for pid, score in results:
        assert isinstance(pid, int)
        assert score == pytest.approx(float(vectors[pid - 100] @ query), abs=1e-5)
    scores = [score for _, score in results]
    assert scores == sorted(scores, reverse=True)


def test_allowed_restricts_results_to_those_ids(kind: Kind) -> None:
    index, ids, vectors = filled(kind)
    allowed = np.array([103, 111, 115, 119], dtype=np.int64)
    results = index.search(vectors[7], 10, allowed=allowed)
    assert sorted(pid for pid, _ in results) == [103, 111, 115, 119]
    mask = np.isin(ids, allowed)
    assert [pid for pid, _ in results] == expected(ids[mask], vectors[mask], vectors[7], 10)


def test_allowed_with_k_smaller_than_allowed_keeps_the_best_allowed(kind: Kind) -> None:
    index, _, vectors = filled(kind)
    allowed = np.array([101, 102, 103, 104, 105], dtype=np.int64)
    results = index.search(vectors[3], 2, allowed=allowed)
    assert results[0][0] == 103
    assert len(results) == 2
    assert all(pid in allowed for pid, _ in results)


def test_empty_allowed_finds_nothing(kind: Kind) -> None:
    index, _, vectors = filled(kind)
    assert index.search(vectors[0], 5, allowed=np.array([], dtype=np.int64)) == []


def test_allowed_ids_not_in_the_index_are_ignored(kind: Kind) -> None:
    index, _, vectors = filled(kind)
    assert index.search(vectors[0], 5, allowed=np.array([5, 6], dtype=np.int64)) == []


def test_k_larger_than_the_index_returns_everything(kind: Kind) -> None:
    index, ids, vectors = filled(kind, n=4)
    results = index.search(vectors[0], 50)
    assert sorted(pid for pid, _ in results) == sorted(int(i) for i in ids)


def test_k_zero_returns_nothing(kind: Kind) -> None:
    index, _, vectors = filled(kind, n=4)
    assert index.search(vectors[0], 0) == []


def test_len_and_max_id_follow_additions(kind: Kind) -> None:
    index, _, _ = filled(kind, n=5, first_id=10)
    assert (len(index), index.max_id) == (5, 14)
    index.add(np.array([3, 40], dtype=np.int64), unit(np.ones((2, DIM))))
    assert (len(index), index.max_id) == (7, 40)
    index.add(np.zeros(0, dtype=np.int64), np.zeros((0, DIM), dtype=np.float32))
    assert (len(index), index.max_id) == (7, 40)


def test_removed_ids_are_no_longer_found_and_the_rest_are(kind: Kind, tmp_path: Path) -> None:
    index, ids, vectors = filled(kind, n=10, first_id=100)
    assert index.remove(np.array([109, 103, 5], dtype=np.int64)) == 2  # 5 was never held
    assert (len(index), index.max_id) == (8, 108)
    found = [pid for pid, _ in index.search(vectors[3], 10)]
    assert sorted(found) == [int(i) for i in ids if i not in (103, 109)]
    assert index.search(vectors[9], 10, allowed=np.array([109], dtype=np.int64)) == []
    assert index.remove(np.zeros(0, dtype=np.int64)) == 0
    index.save(tmp_path / "vectors.idx")
    assert len(kind.load(tmp_path / "vectors.idx", DIM)) == 8


def test_save_then_load_gives_the_same_results(kind: Kind, tmp_path: Path) -> None:
    index, ids, vectors = filled(kind, n=30, seed=3)
    path = tmp_path / "vectors.idx"
    index.save(path)
    loaded = kind.load(path, DIM)
    assert (len(loaded), loaded.max_id) == (len(index), index.max_id)
    for row in (0, 12, 29):
        original = index.search(vectors[row], 6)
        again = loaded.search(vectors[row], 6)
        assert [pid for pid, _ in again] == [pid for pid, _ in original]
        assert [s for _, s in again] == pytest.approx([s for _, s in original], abs=1e-6)
    allowed = ids[::3]
    assert loaded.search(vectors[1], 4, allowed) == index.search(vectors[1], 4, allowed)
    # The loaded index keeps working: new vectors can be added and found.
    loaded.add(np.array([999], dtype=np.int64), unit(np.full((1, DIM), -1.0)))
    assert loaded.search(unit(np.full((1, DIM), -1.0))[0], 1)[0][0] == 999
    assert not list(tmp_path.glob("*.tmp*")), "save leaves no temporary file behind"


def test_save_replaces_an_existing_file(kind: Kind, tmp_path: Path) -> None:
    path = tmp_path / "vectors.idx"
    small, _, _ = filled(kind, n=3)
    small.save(path)
    large, _, _ = filled(kind, n=9, seed=1)
    large.save(path)
    assert len(kind.load(path, DIM)) == 9


@pytest.mark.parametrize(
    ("ids", "shape"),
    [
        ([1, 2], (2, DIM + 1)),  # wrong dimension
        ([1, 2, 3], (2, DIM)),  # more ids than vectors
        ([1], (DIM,)),  # a single vector not in a 2-D array
    ],
    ids=["dimension", "count", "one-dimensional"],
)
def test_adding_mismatched_shapes_raises_value_error(
    kind: Kind, ids: list[int], shape: tuple[int, ...]
) -> None:
    index = kind.create(DIM)
    with pytest.raises(ValueError, match="dimension"):
        index.add(np.array(ids, dtype=np.int64), np.ones(shape, dtype=np.float32))
    assert len(index) == 0


def test_loading_garbage_raises_store_error(kind: Kind, tmp_path: Path) -> None:
    path = tmp_path / "vectors.idx"
    path.write_bytes(b"this is not a vector index\n" * 20)
    with pytest.raises(StoreError, match=r"vectors\.idx"):
        kind.load(path, DIM)


def test_loading_a_missing_file_raises_store_error(kind: Kind, tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        kind.load(tmp_path / "missing.idx", DIM)


def load_error(cls: Kind, path: Path, dim: int = DIM) -> str:
    """What loading ``path`` raises, as "Type: message"; the traceback (and any file it holds
    open) is released before the test ends."""
    try:
        cls.load(path, dim)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    else:
        error = "nothing"
    gc.collect()
    return error


def test_loading_a_truncated_file_raises_store_error(kind: Kind, tmp_path: Path) -> None:
    index, _, _ = filled(kind, n=50)
    path = tmp_path / "vectors.idx"
    index.save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert load_error(kind, path).startswith("StoreError: ")


def test_loading_an_empty_file_raises_store_error(kind: Kind, tmp_path: Path) -> None:
    path = tmp_path / "vectors.idx"
    path.write_bytes(b"")
    assert load_error(kind, path).startswith("StoreError: ")


def test_loading_an_index_of_another_dimension_raises_store_error(
    kind: Kind, tmp_path: Path
) -> None:
    index, _, _ = filled(kind, n=5)
    path = tmp_path / "vectors.idx"
    index.save(path)
    assert load_error(kind, path, dim=DIM * 2).startswith("StoreError: ")


def test_the_factory_makes_and_loads_each_backend_by_name(kind: Kind, tmp_path: Path) -> None:
    index = factory.create(kind.name, DIM)
    index.add(np.array([7], dtype=np.int64), unit(np.ones((1, DIM))))
    path = tmp_path / "vectors.idx"
    index.save(path)
    loaded = factory.load(kind.name, path, DIM)
    assert loaded.search(unit(np.ones((1, DIM)))[0], 1) == [(7, pytest.approx(1.0, abs=1e-5))]


def test_the_factory_names_the_known_backends_for_an_unknown_one() -> None:
    with pytest.raises(ValueError, match="faiss, numpy"):
        factory.create("annoy", DIM)
