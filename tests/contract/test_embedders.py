"""The Embedder contract over the hashing embedder (the real model has its own slow tests)."""

from __future__ import annotations

import numpy as np
import pytest

from index.embeddings import Embedder, HashEmbedder

TEXTS = [
    "Russian forces shelled Siversk overnight, damaging houses.",
    "Overnight shelling damaged houses in Siversk, officials said.",
    "Grain exports from Odesa rose in October.",
    "Вночі обстріляли Сіверськ.",
]


@pytest.fixture(params=[64, 256], ids=["hash-64", "hash-256"])
def embedder(request: pytest.FixtureRequest) -> Embedder:
    return HashEmbedder(dim=request.param)


def test_encode_gives_unit_norm_float32_rows(embedder: Embedder) -> None:
    vectors = embedder.encode(TEXTS)
    assert vectors.shape == (len(TEXTS), embedder.dim)
    assert vectors.dtype == np.float32
    assert np.linalg.norm(vectors, axis=1) == pytest.approx(np.ones(len(TEXTS)), abs=1e-5)


def test_encode_is_deterministic_across_instances_and_batches(embedder: Embedder) -> None:
    again = HashEmbedder(dim=embedder.dim)
    together = embedder.encode(TEXTS)
    np.testing.assert_array_equal(together, again.encode(TEXTS))
    one_by_one = np.vstack([again.encode([t]) for t in TEXTS])
    np.testing.assert_array_equal(together, one_by_one)


def test_similar_texts_are_closer_than_unrelated_ones(embedder: Embedder) -> None:
    a, b, unrelated, _ = embedder.encode(TEXTS)
    assert float(a @ b) > float(a @ unrelated) + 0.2
    assert float(a @ b) > float(b @ unrelated) + 0.2


def test_case_and_diacritics_do_not_change_the_vector(embedder: Embedder) -> None:
    plain, accented = embedder.encode(["Shelling near Siversk", "SHELLING near Síversk"])
    assert float(plain @ accented) == pytest.approx(1.0, abs=1e-5)


def test_empty_batch_gives_an_empty_matrix(embedder: Embedder) -> None:
    vectors = embedder.encode([])
    assert vectors.shape == (0, embedder.dim)
    assert vectors.dtype == np.float32


def test_name_says_which_embedder_and_dimension(embedder: Embedder) -> None:
    # The store records the name to refuse vectors from another model.
    assert embedder.name == f"hash-{embedder.dim}"
    assert HashEmbedder(dim=32).name != embedder.name
