"""SQLite store, the source of truth: articles, passages, their embeddings and the FTS5 index.

The schema and its migrations are in :mod:`index.store.schema`, the writes in
:mod:`index.store.writes`, the read queries in :mod:`index.store.queries`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from index.db import from_db_time
from index.store.queries import PassageQueries
from index.store.schema import open_database
from index.store.writes import ArticleWrites


@dataclass(frozen=True, slots=True)
class StoreStats:
    """Counts for ``sitrep stats``."""

    articles: int
    passages: int
    sources: int
    last_ingest: datetime | None
    model: str | None


class Store(ArticleWrites, PassageQueries):
    """One SQLite file in WAL mode; safe to share between threads (the :class:`~index.db.Database`
    serialises every statement, and every multi-statement write is one transaction)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = open_database(path)

    def close(self) -> None:
        """Close the connection; the store cannot be used afterwards."""
        self._db.close()

    # -- meta -------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """A value stored under ``key``, or None."""
        row = self._db.one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``."""
        self._db.write(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def stats(self) -> StoreStats:
        """Counts of articles, passages and sources, and the last ingest time."""
        row = self._db.one(
            "SELECT count(*), count(DISTINCT source), max(ingested_at) FROM articles"
        )
        assert row is not None
        articles, sources, last = row
        return StoreStats(
            articles=int(articles),
            passages=self.passage_count(),
            sources=int(sources),
            last_ingest=from_db_time(last),
            model=self.get_meta("model"),
        )
