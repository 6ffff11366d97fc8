"""SQLite store, the source of truth: articles, passages, their embeddings and the FTS5 index."""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import StoreError
from index.models import Article, Passage, Place, PlaceMention, Span, StoredArticle

log = logging.getLogger(__name__)

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

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


def to_db_time(value: datetime | None) -> str | None:
    """A timezone-aware datetime as the sortable UTC text the store keeps."""
    return value.astimezone(UTC).strftime(_TIME_FORMAT) if value else None


def from_db_time(value: str | None) -> datetime | None:
    """The inverse of :func:`to_db_time`."""
    return datetime.strptime(value, _TIME_FORMAT).replace(tzinfo=UTC) if value else None


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the database file, shared safely between threads behind a lock:
    WAL (readers never wait on the writer), no fsync per commit (a crash loses at most the
    last commits, never consistency), foreign keys on, and patience with other writers."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=10000")
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot open the database {path}: {exc}") from exc
    return db


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
    """One SQLite file in WAL mode; safe to share between threads (calls are serialised)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = connect(path)
        self._lock = threading.RLock()
        self._migrate()

    def close(self) -> None:
        """Close the connection; the store cannot be used afterwards."""
        with self._lock:
            self._db.close()

    def _migrate(self) -> None:
        with self._lock:
            try:
                version = self._db.execute("PRAGMA user_version").fetchone()[0]
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{self.path} is not a Sitrep database: {exc}") from exc
            if version > len(_MIGRATIONS):
                raise StoreError(
                    f"{self.path} has schema version {version}, newer than this Sitrep "
                    f"({len(_MIGRATIONS)}): upgrade Sitrep"
                )
            for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
                log.info("migrating %s to schema version %d", self.path, number)
                self._db.executescript(f"BEGIN; {script}; PRAGMA user_version={number}; COMMIT;")

    # -- meta -------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """A value stored under ``key``, or None."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``."""
        with self._lock:
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- writing ----------------------------------------------------------------------------

    def is_known(self, url: str | None, digest: str) -> bool:
        """Whether an article with this URL or this text is already stored."""
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM articles WHERE content_hash = ? OR (url IS NOT NULL AND url = ?)",
                (digest, url),
            ).fetchone()
        return row is not None

    def has_url(self, url: str) -> bool:
        """Whether an article with this URL is stored."""
        with self._lock:
            row = self._db.execute("SELECT 1 FROM articles WHERE url = ?", (url,)).fetchone()
        return row is not None

    def add(self, batch: Sequence[NewArticle], now: datetime) -> list[list[int] | None]:
        """Write articles with their passages and vectors in one transaction.

        Returns, per article, the new passage ids in span order, or None for an article
        whose URL or text was already stored (written meanwhile by another process).
        """
        out: list[list[int] | None] = []
        stamp = to_db_time(now)
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                for item in batch:
                    a = item.article
                    cur = self._db.execute(
                        "INSERT OR IGNORE INTO articles (url, content_hash, title, published, "
                        "source, language, text, ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            a.url,
                            item.digest,
                            a.title,
                            to_db_time(a.published),
                            a.source,
                            a.language,
                            a.text,
                            stamp,
                        ),
                    )
                    if cur.rowcount == 0:
                        out.append(None)
                        continue
                    article_id = cur.lastrowid
                    ids: list[int] = []
                    vectors = np.ascontiguousarray(item.vectors, dtype=np.float32)
                    for span, vec in zip(item.spans, vectors, strict=True):
                        cur = self._db.execute(
                            "INSERT INTO passages (article_id, start_char, end_char, text, "
                            "embedding) VALUES (?, ?, ?, ?, ?)",
                            (
                                article_id,
                                span.start,
                                span.end,
                                a.text[span.start : span.end],
                                vec.tobytes(),
                            ),
                        )
                        assert cur.lastrowid is not None
                        ids.append(cur.lastrowid)
                    spans = [(s.start, s.end) for s in item.spans]
                    self._write_mentions(list(zip(ids, spans, strict=True)), item.mentions)
                    out.append(ids)
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise StoreError(f"cannot write to {self.path}: {exc}") from exc
        return out

    def _write_mentions(
        self, passages: Sequence[tuple[int, tuple[int, int]]], mentions: Sequence[PlaceMention]
    ) -> None:
        """Attach each mention to the passage whose span holds it (caller holds the lock)."""
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
        self._db.executemany(
            "INSERT OR REPLACE INTO places (geonameid, name, lat, lon, country, admin1, "
            "population) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (p.geonameid, p.name, p.lat, p.lon, p.country, p.admin1, p.population)
                for p in places.values()
            ],
        )
        self._db.executemany(
            "INSERT INTO mentions (passage_id, geonameid, surface, start_char, end_char, match, "
            "confidence) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def replace_mentions(self, article_id: int, mentions: Sequence[PlaceMention]) -> int:
        """Replace an article's place mentions (after the gazetteer changed); returns the count."""
        with self._lock:
            passages = [
                (int(r[0]), (int(r[1]), int(r[2])))
                for r in self._db.execute(
                    "SELECT id, start_char, end_char FROM passages WHERE article_id = ?",
                    (article_id,),
                )
            ]
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(
                    "DELETE FROM mentions WHERE passage_id IN "
                    "(SELECT id FROM passages WHERE article_id = ?)",
                    (article_id,),
                )
                self._write_mentions(passages, mentions)
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise StoreError(f"cannot write to {self.path}: {exc}") from exc
        return len(mentions)

    def _pages(
        self, table: str, column: str, after_id: int, batch: int
    ) -> Iterator[list[tuple[Any, ...]]]:
        """(id, column) rows of ``table`` in id order, a batch at a time, after ``after_id``."""
        last = after_id
        while True:
            with self._lock:
                rows = self._db.execute(
                    f"SELECT id, {column} FROM {table} WHERE id > ? ORDER BY id LIMIT ?",
                    (last, batch),
                ).fetchall()
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
        with self._lock:
            rows = self._db.execute(
                "SELECT m.passage_id, m.surface, m.start_char, m.end_char, m.match, m.confidence, "
                "p.geonameid, p.name, p.lat, p.lon, p.country, p.admin1, p.population "
                "FROM mentions m JOIN places p ON p.geonameid = m.geonameid "
                f"WHERE m.passage_id IN ({_marks(passage_ids)}) "
                "ORDER BY m.passage_id, m.start_char",
                tuple(passage_ids),
            ).fetchall()
        out: dict[int, list[PlaceMention]] = {}
        for pid, surface, start, end, match, conf, *place in rows:
            out.setdefault(int(pid), []).append(
                PlaceMention(Place(*place), surface, start, end, match, conf)
            )
        return out

    def mentioned_places(self) -> list[tuple[Place, int]]:
        """Every place mentioned in some passage, with the number of passages naming it."""
        with self._lock:
            rows = self._db.execute(
                "SELECT p.geonameid, p.name, p.lat, p.lon, p.country, p.admin1, p.population, "
                "count(DISTINCT m.passage_id) FROM places p "
                "JOIN mentions m ON m.geonameid = p.geonameid GROUP BY p.geonameid"
            ).fetchall()
        return [(Place(*r[:7]), int(r[7])) for r in rows]

    def passages_naming(
        self, geonameids: Sequence[int], since: datetime | None = None
    ) -> list[tuple[int, int]]:
        """(passage id, geonameid) for passages that name any of the places."""
        if not geonameids:
            return []
        sql = (
            "SELECT m.passage_id, m.geonameid FROM mentions m "
            f"WHERE m.geonameid IN ({_marks(geonameids)})"
        )
        args: list[object] = list(geonameids)
        if since is not None:
            sql += f" AND m.passage_id IN ({_PASSAGES_SINCE})"
            args.append(to_db_time(since))
        with self._lock:
            return [(int(r[0]), int(r[1])) for r in self._db.execute(sql, args)]

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
            sql += f" AND m.passage_id IN ({_PASSAGES_SINCE})"
            args.append(to_db_time(since))
        with self._lock:
            return [(int(r[0]), int(r[1])) for r in self._db.execute(sql, args)]

    def mentioned_between(self, after_id: int, upto_id: int) -> list[int]:
        """Ids of passages in (after_id, upto_id] that name at least one place, in id order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT passage_id FROM mentions WHERE passage_id > ? AND passage_id <= ? "
                "ORDER BY passage_id",
                (after_id, upto_id),
            ).fetchall()
        return [int(r[0]) for r in rows]

    def mention_version(self) -> tuple[int, int]:
        """Changes whenever mentions are added or replaced (for caches of place positions)."""
        with self._lock:
            count, last = self._db.execute(
                "SELECT count(*), coalesce(max(rowid), 0) FROM mentions"
            ).fetchone()
        return int(count), int(last)

    # -- reading ----------------------------------------------------------------------------

    def passage_count(self) -> int:
        """Number of stored passages."""
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM passages").fetchone()[0])

    def max_passage_id(self) -> int:
        """The highest passage id, 0 when there is none."""
        with self._lock:
            return int(self._db.execute("SELECT coalesce(max(id), 0) FROM passages").fetchone()[0])

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
        with self._lock:
            rows = self._db.execute(
                f"SELECT id, embedding FROM passages WHERE id IN ({_marks(ids)})", tuple(ids)
            ).fetchall()
        return {int(r[0]): np.frombuffer(r[1], dtype=np.float32) for r in rows}

    def citations(self, ids: Sequence[int]) -> dict[int, tuple[Passage, StoredArticle]]:
        """Passages and their articles by passage id; ids that are not stored are left out."""
        if not ids:
            return {}
        with self._lock:
            rows = self._db.execute(
                "SELECT p.id, p.article_id, p.start_char, p.end_char, p.text, a.url, a.title, "
                "a.published, a.source, a.ingested_at FROM passages p "
                f"JOIN articles a ON a.id = p.article_id WHERE p.id IN ({_marks(ids)})",
                tuple(ids),
            ).fetchall()
        out: dict[int, tuple[Passage, StoredArticle]] = {}
        for pid, aid, start, end, text, url, title, published, source, ingested in rows:
            ingested_at = from_db_time(ingested)
            assert ingested_at is not None
            out[pid] = (
                Passage(pid, aid, start, end, text),
                StoredArticle(aid, url, title, from_db_time(published), source, ingested_at),
            )
        return out

    def article_text(self, article_id: int) -> str | None:
        """The full stored text of an article."""
        with self._lock:
            row = self._db.execute(
                "SELECT text FROM articles WHERE id = ?", (article_id,)
            ).fetchone()
        return None if row is None else str(row[0])

    def ids_since(self, since: datetime) -> np.ndarray:
        """Ids of passages whose article was published (or, undated, ingested) since ``since``."""
        with self._lock:
            rows = self._db.execute(
                "SELECT p.id FROM passages p JOIN articles a ON a.id = p.article_id "
                "WHERE coalesce(a.published, a.ingested_at) >= ? ORDER BY p.id",
                (to_db_time(since),),
            ).fetchall()
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
            sql += (
                " AND rowid IN (SELECT p.id FROM passages p JOIN articles a ON a.id = p.article_id"
                " WHERE coalesce(a.published, a.ingested_at) >= ?)"
            )
            args.append(to_db_time(since))
        if among is not None:
            if not among:
                return []
            # json_each: no limit on the number of ids, unlike "?" parameters
            sql += " AND rowid IN (SELECT value FROM json_each(?))"
            args.append(json.dumps([int(i) for i in among]))
        sql += " ORDER BY rank LIMIT ?"
        args.append(limit)
        with self._lock:
            try:
                rows = self._db.execute(sql, args).fetchall()
            except sqlite3.OperationalError as exc:
                raise StoreError(f"lexical search failed for {query!r}: {exc}") from exc
        return [(int(r[0]), float(r[1])) for r in rows]

    def reembed(self, encode: Callable[[list[str]], np.ndarray], batch: int = 256) -> None:
        """Replace every stored vector with ``encode`` of the passage text (model change)."""
        for rows in self._pages("passages", "text", 0, batch):
            vectors = np.ascontiguousarray(encode([r[1] for r in rows]), dtype=np.float32)
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(
                    "UPDATE passages SET embedding = ? WHERE id = ?",
                    [(v.tobytes(), r[0]) for v, r in zip(vectors, rows, strict=True)],
                )
                self._db.execute("COMMIT")

    def document_frequency(self, terms: Sequence[str]) -> dict[str, int]:
        """How many passages hold each term (its Porter stem: the longest stored prefix)."""
        out: dict[str, int] = {}
        for term in terms:
            prefixes = [term[:n] for n in range(max(3, len(term) - 4), len(term) + 1)]
            prefixes += [p[:-1] + "i" for p in prefixes if p.endswith("y")]
            with self._lock:
                rows = self._db.execute(
                    f"SELECT term, doc FROM passages_vocab WHERE term IN ({_marks(prefixes)})",
                    prefixes,
                ).fetchall()
            out[term] = int(max(rows, key=lambda r: len(r[0]))[1]) if rows else 0
        return out

    def stats(self) -> StoreStats:
        """Counts of articles, passages and sources, and the last ingest time."""
        with self._lock:
            articles, sources, last = self._db.execute(
                "SELECT count(*), count(DISTINCT source), max(ingested_at) FROM articles"
            ).fetchone()
        return StoreStats(
            articles=int(articles),
            passages=self.passage_count(),
            sources=int(sources),
            last_ingest=from_db_time(last),
            model=self.get_meta("model"),
        )


# Ids of passages whose article was published (or, undated, ingested) since a time.
_PASSAGES_SINCE = (
    "SELECT ps.id FROM passages ps JOIN articles a ON a.id = ps.article_id "
    "WHERE coalesce(a.published, a.ingested_at) >= ?"
)


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))
