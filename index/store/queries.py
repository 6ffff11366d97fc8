"""The read queries search and digests use: passages and their articles, vectors, place
mentions, lexical search, and the one "published since" rule."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from index.db import Database, from_db_time, marks, to_db_time
from index.errors import StoreError
from index.models import Passage, Place, PlaceMention, StoredArticle

# The one "published since" rule: ids of passages whose article was published (or, undated,
# ingested) at or after a time, aliased ``ps`` so that it nests in queries that use ``p``.
PASSAGES_SINCE = (
    "SELECT ps.id FROM passages ps JOIN articles a ON a.id = ps.article_id "
    "WHERE coalesce(a.published, a.ingested_at) >= ?"
)


def pages(
    db: Database, table: str, column: str, after_id: int, batch: int
) -> Iterator[list[tuple[Any, ...]]]:
    """(id, column) rows of ``table`` in id order, a batch at a time, after ``after_id``."""
    last = after_id
    while True:
        rows = db.query(
            f"SELECT id, {column} FROM {table} WHERE id > ? ORDER BY id LIMIT ?",
            (last, batch),
        )
        if not rows:
            return
        yield rows
        last = int(rows[-1][0])


class PassageQueries:
    """The :class:`~index.store.Store`'s reads."""

    path: Path
    _db: Database

    def iter_articles(self, batch: int = 500) -> Iterator[tuple[int, str]]:
        """(id, text) of every article, in id order."""
        for rows in pages(self._db, "articles", "text", 0, batch):
            yield from ((int(r[0]), str(r[1])) for r in rows)

    def mentions(self, passage_ids: Sequence[int]) -> dict[int, list[PlaceMention]]:
        """Resolved place mentions of the given passages, in text order."""
        if not passage_ids:
            return {}
        rows = self._db.query(
            "SELECT m.passage_id, m.surface, m.start_char, m.end_char, m.match, m.confidence, "
            "p.geonameid, p.name, p.lat, p.lon, p.country, p.admin1, p.population, p.kind "
            "FROM mentions m JOIN places p ON p.geonameid = m.geonameid "
            f"WHERE m.passage_id IN ({marks(passage_ids)}) "
            "ORDER BY m.passage_id, m.start_char",
            tuple(passage_ids),
        )
        out: dict[int, list[PlaceMention]] = {}
        for pid, surface, start, end, match, conf, *place in rows:
            out.setdefault(int(pid), []).append(
                PlaceMention(Place(*place), surface, start, end, match, conf)
            )
        return out

    def mentioned_places(self) -> list[tuple[Place, int]]:
        """Every place mentioned in some passage, with the number of passages naming it."""
        rows = self._db.query(
            "SELECT p.geonameid, p.name, p.lat, p.lon, p.country, p.admin1, p.population, "
            "p.kind, count(DISTINCT m.passage_id) FROM places p "
            "JOIN mentions m ON m.geonameid = p.geonameid GROUP BY p.geonameid"
        )
        return [(Place(*r[:8]), int(r[8])) for r in rows]

    def passages_naming(
        self, geonameids: Sequence[int], since: datetime | None = None
    ) -> list[tuple[int, int]]:
        """(passage id, geonameid) for passages that name any of the places."""
        if not geonameids:
            return []
        return self._passage_places(f"m.geonameid IN ({marks(geonameids)})", geonameids, since)

    def reports_naming(
        self, geonameids: Sequence[int], min_confidence: float
    ) -> list[tuple[int, datetime]]:
        """(passage id, when its article was published, else ingested) of the passages that
        name any of the places with at least ``min_confidence``: what the corpus reports."""
        if not geonameids:
            return []
        rows = self._db.query(
            "SELECT DISTINCT m.passage_id, coalesce(a.published, a.ingested_at) FROM mentions m "
            "JOIN passages ps ON ps.id = m.passage_id JOIN articles a ON a.id = ps.article_id "
            f"WHERE m.geonameid IN ({marks(geonameids)}) AND m.confidence >= ?",
            [*geonameids, min_confidence],
        )
        out = []
        for pid, when in rows:
            at = from_db_time(when)
            assert at is not None  # ingested_at is never null
            out.append((int(pid), at))
        return out

    def text_names(self, words: Sequence[str]) -> bool:
        """Whether some stored passage holds ``words`` one after the other (a name the
        gazetteer lacks, read in the reports' text)."""
        words = [w for w in words if w]
        if not words:
            return False
        phrase = '"' + " ".join(words).replace('"', '""') + '"'
        try:
            row = self._db.one(
                "SELECT 1 FROM passages_fts WHERE passages_fts MATCH ? LIMIT 1", (phrase,)
            )
        except sqlite3.OperationalError as exc:
            raise StoreError(f"text search failed for {phrase!r}: {exc}") from exc
        return row is not None

    def passages_in_region(
        self, country: str, admin1: str, since: datetime | None = None
    ) -> list[tuple[int, int]]:
        """(passage id, geonameid) for passages naming a place in a first-level region."""
        return self._passage_places("p.country = ? AND p.admin1 = ?", (country, admin1), since)

    def passages_in_countries(
        self, countries: Sequence[str], since: datetime | None = None
    ) -> list[tuple[int, int]]:
        """(passage id, geonameid) for passages naming a place in any of the countries."""
        if not countries:
            return []
        return self._passage_places(f"p.country IN ({marks(countries)})", countries, since)

    def _passage_places(
        self, where: str, args: Sequence[object], since: datetime | None
    ) -> list[tuple[int, int]]:
        """(passage id, geonameid) of the mentions whose place (``p``) or mention (``m``)
        meets ``where``, in passages published since ``since`` when given."""
        sql = (
            "SELECT m.passage_id, m.geonameid FROM mentions m JOIN places p "
            f"ON p.geonameid = m.geonameid WHERE {where}"
        )
        params = list(args)
        if since is not None:
            sql += f" AND m.passage_id IN ({PASSAGES_SINCE})"
            params.append(to_db_time(since))
        return [(int(r[0]), int(r[1])) for r in self._db.query(sql, params)]

    def mentioned_between(self, after_id: int, upto_id: int) -> list[int]:
        """Ids of passages in (after_id, upto_id] that name at least one place, in id order."""
        rows = self._db.query(
            "SELECT DISTINCT passage_id FROM mentions WHERE passage_id > ? AND passage_id <= ? "
            "ORDER BY passage_id",
            (after_id, upto_id),
        )
        return [int(r[0]) for r in rows]

    def mention_version(self) -> tuple[int, int]:
        """Changes whenever mentions are added or replaced (for caches of place positions)."""
        row = self._db.one("SELECT count(*), coalesce(max(rowid), 0) FROM mentions")
        assert row is not None
        return int(row[0]), int(row[1])

    def passage_count(self) -> int:
        """Number of stored passages."""
        return self._count("SELECT count(*) FROM passages")

    def max_passage_id(self) -> int:
        """The highest passage id, 0 when there is none."""
        return self._count("SELECT coalesce(max(id), 0) FROM passages")

    def _count(self, sql: str) -> int:
        row = self._db.one(sql)
        assert row is not None  # an aggregate always returns one row
        return int(row[0])

    def iter_vectors(
        self, after_id: int = 0, batch: int = 10_000, dim: int | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Stored (ids, vectors) in id order, in batches, starting after ``after_id``."""
        for rows in pages(self._db, "passages", "embedding", after_id, batch):
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            vecs = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
            yield ids, vecs.reshape(len(rows), -1 if dim is None else dim)

    def vectors(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        """The stored vectors of the given passages."""
        if not ids:
            return {}
        rows = self._db.query(
            f"SELECT id, embedding FROM passages WHERE id IN ({marks(ids)})", tuple(ids)
        )
        return {int(r[0]): np.frombuffer(r[1], dtype=np.float32) for r in rows}

    def citations(self, ids: Sequence[int]) -> dict[int, tuple[Passage, StoredArticle]]:
        """Passages and their articles by passage id; ids that are not stored are left out."""
        if not ids:
            return {}
        rows = self._db.query(
            "SELECT p.id, p.article_id, p.start_char, p.end_char, p.text, a.url, a.title, "
            "a.published, a.source, a.ingested_at FROM passages p "
            f"JOIN articles a ON a.id = p.article_id WHERE p.id IN ({marks(ids)})",
            tuple(ids),
        )
        out: dict[int, tuple[Passage, StoredArticle]] = {}
        for pid, aid, start, end, text, url, title, published, source, ingested in rows:
            ingested_at = from_db_time(ingested)
            assert ingested_at is not None
            out[pid] = (
                Passage(pid, aid, start, end, text),
                StoredArticle(aid, url, title, from_db_time(published), source, ingested_at),
            )
        return out

    def ids_since(self, since: datetime) -> np.ndarray:
        """Ids of passages whose article was published (or, undated, ingested) since ``since``."""
        rows = self._db.query(f"{PASSAGES_SINCE} ORDER BY ps.id", (to_db_time(since),))
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def lexical(
        self,
        terms: Sequence[str],
        limit: int,
        since: datetime | None = None,
        among: Sequence[int] | None = None,
    ) -> list[tuple[int, float]]:
        """BM25 search over passages for any of ``terms``: (id, score), best first.

        Scores are positive, larger is better (FTS5's bm25() is negated).
        """
        if not terms:
            return []
        query = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        sql = "SELECT rowid, -bm25(passages_fts) AS s FROM passages_fts WHERE passages_fts MATCH ?"
        args: list[object] = [query]
        if since is not None:
            sql += f" AND rowid IN ({PASSAGES_SINCE})"
            args.append(to_db_time(since))
        if among is not None:
            if not among:
                return []
            # json_each: no limit on the number of ids, unlike "?" parameters
            sql += " AND rowid IN (SELECT value FROM json_each(?))"
            args.append(json.dumps([int(i) for i in among]))
        sql += " ORDER BY rank LIMIT ?"
        args.append(limit)
        try:
            rows = self._db.query(sql, args)
        except sqlite3.OperationalError as exc:
            raise StoreError(f"lexical search failed for {query!r}: {exc}") from exc
        return [(int(r[0]), float(r[1])) for r in rows]

    def document_frequency(self, terms: Sequence[str]) -> dict[str, int]:
        """How many passages hold each term (its Porter stem: the longest stored prefix)."""
        out: dict[str, int] = {}
        for term in terms:
            prefixes = [term[:n] for n in range(max(3, len(term) - 4), len(term) + 1)]
            prefixes += [p[:-1] + "i" for p in prefixes if p.endswith("y")]
            rows = self._db.query(
                f"SELECT term, doc FROM passages_vocab WHERE term IN ({marks(prefixes)})",
                prefixes,
            )
            out[term] = int(max(rows, key=lambda r: len(r[0]))[1]) if rows else 0
        return out
