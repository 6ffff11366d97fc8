"""The NumPy index publishes ids and vectors together: a reader never sees them out of step."""

from __future__ import annotations

import numpy as np
import pytest

from index.vectors.numpy_index import NumpyIndex


def test_a_search_holds_the_state_it_started_with_while_vectors_are_added() -> None:
    index = NumpyIndex(2)
    index.add(np.array([1], dtype=np.int64), np.array([[1.0, 0.0]], dtype=np.float32))
    before = index._data
    index.add(np.array([2], dtype=np.int64), np.array([[0.0, 1.0]], dtype=np.float32))
    # the old snapshot is untouched and still consistent; the new one holds both
    assert (before.ids.tolist(), before.vectors.shape) == ([1], (1, 2))
    assert (index._data.ids.tolist(), index._data.vectors.shape) == ([1, 2], (2, 2))
    with pytest.raises(ValueError, match="read-only"):
        index._data.vectors[0, 0] = 5.0
