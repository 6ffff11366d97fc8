"""The knowledge base owns its vector index: a search never runs while ingestion changes it."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from index.clock import ManualClock
from index.embeddings import HashEmbedder
from index.models import Article
from index.search.knowledge import KnowledgeBase
from index.search.retrieve import SearchConfig
from index.store import Store
from index.vectors.factory import Backend
from index.vectors.numpy_index import NumpyIndex
from tests.conftest import START

WAIT = 5.0
OVERLAP_WINDOW = 0.3  # how long a search stays inside the index, giving a writer its chance


class RecordingIndex(NumpyIndex):
    """A NumPy index that notices an ``add`` arriving while a ``search`` is inside it."""

    def __init__(self, dim: int) -> None:
        super().__init__(dim)
        self.searching = threading.Event()
        self.added = threading.Event()
        self.active_searches = 0
        self.overlaps = 0

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        self.active_searches += 1
        self.searching.set()
        self.added.wait(OVERLAP_WINDOW)  # a racing writer gets in here
        try:
            return super().search(query, k, allowed)
        finally:
            self.active_searches -= 1

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if self.active_searches:
            self.overlaps += 1
        super().add(ids, vectors)
        self.added.set()


def test_ingesting_while_a_question_is_searched_waits_for_the_search(tmp_path: Path) -> None:
    made: list[RecordingIndex] = []

    def create(dim: int) -> RecordingIndex:
        made.append(RecordingIndex(dim))
        return made[-1]

    kb = KnowledgeBase(
        store=Store(tmp_path / "sitrep.db"),
        embedder=lambda: HashEmbedder(),
        index_path=tmp_path / "vectors.npz",
        vectors=Backend("recording", create, NumpyIndex.load),
        config=SearchConfig(threshold=0.0),
        clock=ManualClock(START),
    )
    kb.ingest([Article("Shelling hit Siversk overnight, the regional governor said.")])
    index = made[-1]
    index.added.clear()
    answers = []
    asker = threading.Thread(target=lambda: answers.append(kb.ask("shelling in Siversk")))
    asker.start()
    assert index.searching.wait(WAIT)
    kb.ingest([Article("A drone struck a depot near Bakhmut on Tuesday, officials reported.")])
    asker.join(WAIT)
    assert index.overlaps == 0
    assert len(index) == 2
    assert [h.citation.passage.text for h in answers[0].hits][:1] == [
        "Shelling hit Siversk overnight, the regional governor said."
    ]
