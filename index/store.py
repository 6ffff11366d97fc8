"""SQLite store, the source of truth: articles, passages, their embeddings and the FTS5 index."""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from index.db import Database, from_db_time, marks, to_db_time
from index.errors import StoreError
from index.models import Article, Passage, Place, PlaceMention, Span, StoredArticle

log = logging.getLogger(__name__)

# The knowledge schema's version in the ``meta`` table (see :meth:`Database.migrate`).
_SCHEMA_KEY = "knowledge_schema"

# Each entry moves the schema one version up; a database is migrated, never recreated.
_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE articles (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        url TEXT UNIQUE,
        content_hash TEXT NOT NULL UNIQUE,
        title TEXT,
        published TEXT,
        source TEXT,
        language TEXT,
        text TEXT NOT NULL,
        ingested_at TEXT NOT NULL
    );
    CREATE INDEX articles_when ON articles (coalesce(published, ingested_at));
    -- AUTOINCREMENT: a passage id is never reused, so a stale vector can never point at
    -- another passage's text.
    CREATE TABLE passages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        start_char INTEGER NOT NULL,
        end_char INTEGER NOT NULL,
        text TEXT NOT NULL,
        embedding BLOB NOT NULL
    );
    CREATE INDEX passages_article ON passages (article_id);
    CREATE VIRTUAL TABLE passages_fts USING fts5 (
        text, content='passages', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER passages_ai AFTER INSERT ON passages BEGIN
        INSERT INTO passages_fts (rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER passages_ad AFTER DELETE ON passages BEGIN
        INSERT INTO passages_fts (passages_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END;
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    """
    CREATE TABLE places (
        geonameid INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        lat REAL NOT NULL,
        lon REAL NOT NULL,
        country TEXT NOT NULL,
        admin1 TEXT NOT NULL,
        population INTEGER NOT NULL
    );
    -- Resolved place mentions; offsets are into the article's text.
    CREATE TABLE mentions (
        passage_id INTEGER NOT NULL REFERENCES passages (id) ON DELETE CASCADE,
        geonameid INTEGER NOT NULL REFERENCES places (geonameid),
        surface TEXT NOT NULL,
        start_char INTEGER NOT NULL,
        end_char INTEGER NOT NULL,
        match TEXT NOT NULL,
        confidence REAL NOT NULL
    );
    CREATE INDEX mentions_place ON mentions (geonameid);
    CREATE INDEX mentions_passage ON mentions (passage_id);
    """,
    """
    CREATE VIRTUAL TABLE passages_vocab USING fts5vocab (passages_fts, 'row');
    """,
)


def content_hash(text: str) -> str:
    """A hash of the text that ignores case, accents' encoding and whitespace differences."""
    norm = " ".join(unicodedata.normalize("NFC", text).casefold().split())
    return hashlib.sha256(norm.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class NewArticle:
    """An article ready to be written: its spans and one normalised vector per span."""

    article: Article
    digest: str
    spans: Sequence[Span]
    vectors: np.ndarray
    mentions: Sequence[PlaceMention] = ()


@dataclass(frozen=True, slots=True)
class StoreStats:
    """Counts for ``sitrep stats``."""

    articles: int
    passages: int
    sources: int
    last_ingest: datetime | None
    model: str | None


class Store:
    """One SQLite file in WAL mode; safe to share between threads (the :class:`Database`
    serialises every statement, and every multi-statement write is one transaction)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._db = Database(path)
            self._adopt_user_version()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path} is not a Sitrep database: {exc}") from exc
        self._db.migrate(_SCHEMA_KEY, _MIGRATIONS, "knowledge")

    def _adopt_user_version(self) -> None:
        """Databases made before the schema version moved to ``meta`` kept it in
        ``PRAGMA user_version``: record that version under the key once, so that they open
        as they are instead of being migrated from the start."""
        with self._db.transaction() as conn:
            (old,) = conn.execute("PRAGMA user_version").fetchone()
            if old and self._db.version(_SCHEMA_KEY) == 0:
                conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (_SCHEMA_KEY, str(old)))

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

    # -- writing ----------------------------------------------------------------------------

    def is_known(self, url: str | None, digest: str) -> bool:
        """Whether an article with this URL or this text is already stored."""
        sql = "SELECT 1 FROM articles WHERE content_hash = ? OR (url IS NOT NULL AND url = ?)"
        return self._db.one(sql, (digest, url)) is not None

    def has_url(self, url: str) -> bool:
        """Whether an article with this URL is stored."""
        return self._db.one("SELECT 1 FROM articles WHERE url = ?", (url,)) is not None

    def add(self, batch: Sequence[NewArticle], now: datetime) -> list[list[int] | None]:
        """Write articles with their passages and vectors in one transaction: all or nothing.

        Returns, per article, the new passage ids in span order, or None for an article
        whose URL or text was already stored (written meanwhile by another process).
        """
        stamp = to_db_time(now)
        try:
            with self._db.transaction() as conn:
                return [_add_article(conn, item, stamp) for item in batch]
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to {self.path}: {exc}") from exc

    def replace_mentions(self, article_id: int, mentions: Sequence[PlaceMention]) -> int:
        """Replace an article's place mentions (after the gazetteer changed); returns the count."""
        try:
            with self._db.transaction() as conn:
                passages = [
                    (int(r[0]), (int(r[1]), int(r[2])))
                    for r in conn.execute(
                        "SELECT id, start_char, end_char FROM passages WHERE article_id = ?",
                        (article_id,),
                    )
                ]
                conn.execute(
                    "DELETE FROM mentions WHERE passage_id IN "
                    "(SELECT id FROM passages WHERE article_id = ?)",
                    (article_id,),
                )
                _write_mentions(conn, passages, mentions)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to {self.path}: {exc}") from exc
        return len(mentions)

    def reembed(self, encode: Callable[[list[str]], np.ndarray], batch: int = 256) -> None:
        """Replace every stored vector with ``encode`` of the passage text (model change)."""
        for rows in self._pages("passages", "text", 0, batch):
            vectors = np.ascontiguousarray(encode([r[1] for r in rows]), dtype=np.float32)
            with self._db.transaction() as conn:
                conn.executemany(
                    "UPDATE passages SET embedding = ? WHERE id = ?",
                    [(v.tobytes(), r[0]) for v, r in zip(vectors, rows, strict=True)],
                )

    # -- reading ----------------------------------------------------------------------------

    def _pages(
        self, table: str, column: str, after_id: int, batch: int
    ) -> Iterator[list[tuple[Any, ...]]]:
        """(id, column) rows of ``table`` in id order, a batch at a time, after ``after_id``."""
        last = after_id
        while True:
            rows = self._db.query(
                f"SELECT id, {column} FROM {table} WHERE id > ? ORDER BY id LIMIT ?",
                (last, batch),
            )
            if not rows:
                return
            yield rows
            last = int(rows[-1][0])

    def iter_articles(self, batch: int = 500) -> Iterator[tuple[int, str]]:
        """(id, text) of every article, in id order."""
        for rows in self._pages("articles", "text", 0, batch):
            yield from ((int(r[0]), str(r[1])) for r in rows)

    def mentions(self, passage_ids: Sequence[int]) -> dict[int, list[PlaceMention]]:
        """Resolved place mentions of the given passages, in text order."""
        if not passage_ids:
            return {}
        rows = self._db.query(
            "SELECT m.passage_id, m.surface, m.start_char, m.end_char, m.match, m.confidence, "
            "p.geonameid, p.name, p.lat, p.lon, p.country, p.admin1, p.population "
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
            "count(DISTINCT m.passage_id) FROM places p "
            "JOIN mentions m ON m.geonameid = p.geonameid GROUP BY p.geonameid"
        )
        return [(Place(*r[:7]), int(r[7])) for r in rows]

    def passages_naming(
        self, geonameids: Sequence[int], since: datetime | None = None
    ) -> list[tuple[int, int]]:
        """(passage id, geonameid) for passages that name any of the places."""
        if not geonameids:
            return []
        sql = (
            "SELECT m.passage_id, m.geonameid FROM mentions m "
            f"WHERE m.geonameid IN ({marks(geonameids)})"
        )
        args: list[object] = list(geonameids)
        if since is not None:
            sql += f" AND m.passage_id IN ({PASSAGES_SINCE})"
            args.append(to_db_time(since))
        return [(int(r[0]), int(r[1])) for r in self._db.query(sql, args)]

    def passages_in_region(
        self, country: str, admin1: str, since: datetime | None = None
    ) -> list[tuple[int, int]]:
        """(passage id, geonameid) for passages naming a place in a first-level region."""
        sql = (
            "SELECT m.passage_id, m.geonameid FROM mentions m JOIN places p "
            "ON p.geonameid = m.geonameid WHERE p.country = ? AND p.admin1 = ?"
        )
        args: list[object] = [country, admin1]
        if since is not None:
            sql += f" AND m.passage_id IN ({PASSAGES_SINCE})"
            args.append(to_db_time(since))
        return [(int(r[0]), int(r[1])) for r in self._db.query(sql, args)]

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
        for rows in self._pages("passages", "embedding", after_id, batch):
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


def _add_article(conn: sqlite3.Connection, item: NewArticle, stamp: str | None) -> list[int] | None:
    """Write one article inside the caller's transaction: its passage ids in span order, or
    None when its URL or text is already stored."""
    a = item.article
    cur = conn.execute(
        "INSERT OR IGNORE INTO articles (url, content_hash, title, published, "
        "source, language, text, ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (a.url, item.digest, a.title, to_db_time(a.published), a.source, a.language, a.text, stamp),
    )
    if cur.rowcount == 0:
        return None
    article_id = cur.lastrowid
    ids: list[int] = []
    vectors = np.ascontiguousarray(item.vectors, dtype=np.float32)
    for span, vec in zip(item.spans, vectors, strict=True):
        cur = conn.execute(
            "INSERT INTO passages (article_id, start_char, end_char, text, embedding) "
            "VALUES (?, ?, ?, ?, ?)",
            (article_id, span.start, span.end, a.text[span.start : span.end], vec.tobytes()),
        )
        assert cur.lastrowid is not None
        ids.append(cur.lastrowid)
    _write_mentions(
        conn,
        [(pid, (s.start, s.end)) for pid, s in zip(ids, item.spans, strict=True)],
        item.mentions,
    )
    return ids


def _write_mentions(
    conn: sqlite3.Connection,
    passages: Sequence[tuple[int, tuple[int, int]]],
    mentions: Sequence[PlaceMention],
) -> None:
    """Attach each mention to the passage whose span holds it (inside the caller's transaction)."""
    rows = []
    for m in mentions:
        for pid, (start, end) in passages:
            if start <= m.start < end:
                rows.append(
                    (pid, m.place.geonameid, m.surface, m.start, m.end, m.match, m.confidence)
                )
                break
    if not rows:
        return
    places = {m.place.geonameid: m.place for m in mentions}
    conn.executemany(
        "INSERT OR REPLACE INTO places (geonameid, name, lat, lon, country, admin1, "
        "population) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (p.geonameid, p.name, p.lat, p.lon, p.country, p.admin1, p.population)
            for p in places.values()
        ],
    )
    conn.executemany(
        "INSERT INTO mentions (passage_id, geonameid, surface, start_char, end_char, match, "
        "confidence) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


# The one "published since" rule: ids of passages whose article was published (or, undated,
# ingested) at or after a time, aliased ``ps`` so that it nests in queries that use ``p``.
PASSAGES_SINCE = (
    "SELECT ps.id FROM passages ps JOIN articles a ON a.id = ps.article_id "
    "WHERE coalesce(a.published, a.ingested_at) >= ?"
)
