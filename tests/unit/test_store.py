"""The SQLite store: all-or-nothing writes, and databases made by earlier versions still open."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from index.models import Article, Place, PlaceMention, Span
from index.store import Store
from index.store.writes import NewArticle, content_hash

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
SIVERSK = Place(689558, "Siversk", 48.86, 38.1, "UA", "Donetsk", 11000)


def item(text: str, spans: int = 1, vectors: int | None = None) -> NewArticle:
    """An article of ``spans`` equal spans; ``vectors`` fewer than spans breaks the write."""
    step = len(text) // spans
    cut = [Span(i * step, (i + 1) * step, 3) for i in range(spans)]
    rows = np.eye(4, dtype=np.float32)[: spans if vectors is None else vectors]
    mention = PlaceMention(SIVERSK, "Siversk", 0, 7, "name", 0.9)
    digest = content_hash(text)
    return NewArticle(Article(text, url=f"https://x/{digest[:8]}"), digest, cut, rows, [mention])


def test_a_batch_that_fails_midway_writes_nothing_and_the_next_write_works(tmp_path: Path) -> None:
    store = Store(tmp_path / "sitrep.db")
    good = item("Siversk was shelled overnight, officials said.")
    broken = item("Siversk again: a second report with two spans.", spans=2, vectors=1)
    with pytest.raises(ValueError):
        store.add([good, broken], NOW)
    assert store.passage_count() == 0
    assert store.mentioned_places() == []
    later = item("Siversk: a third report, written after the failure.")
    written = store.add([later], NOW)
    assert len(written) == 1 and written[0] is not None and len(written[0]) == 1
    assert store.passage_count() == 1
    assert [p.name for p, _ in store.mentioned_places()] == ["Siversk"]


def test_a_database_made_before_the_schema_key_opens_and_works(tmp_path: Path) -> None:
    path = tmp_path / "sitrep.db"
    store = Store(path)
    store.add([item("Siversk was shelled overnight, officials said.")], NOW)
    store.set_meta("model", "hash")
    store.close()
    # the shape the store had when PRAGMA user_version alone recorded its schema (version 3,
    # before articles could be stored as a feed's summary only)
    with sqlite3.connect(path) as raw:
        raw.execute("DELETE FROM meta WHERE key = 'knowledge_schema'")
        raw.execute("PRAGMA user_version = 3")
        raw.execute("DROP INDEX articles_summary_only")
        for column in ("page_error", "page_tries", "page_retry_at"):
            raw.execute(f"ALTER TABLE articles DROP COLUMN {column}")
        raw.execute("ALTER TABLE places DROP COLUMN kind")
    reopened = Store(path)
    assert reopened.passage_count() == 1
    assert reopened.get_meta("model") == "hash"
    reopened.add([item("Siversk: a later report after the upgrade.")], NOW)
    assert reopened.passage_count() == 2
