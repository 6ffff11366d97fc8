"""Writing articles with their passages, vectors and place mentions, each batch in one
transaction; what is already stored; re-embedding after a model change."""

from __future__ import annotations

import hashlib
import sqlite3
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from index.db import Database, from_db_time, to_db_time
from index.errors import StoreError
from index.models import Article, PlaceMention, Span
from index.store.queries import pages

# A feed item's failed page is fetched again this many times, the waits doubling from this one.
PAGE_RETRIES = 5
PAGE_RETRY_WAIT = timedelta(minutes=30)


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


class ArticleWrites:
    """The :class:`~index.store.Store`'s writes (one transaction per batch)."""

    path: Path
    _db: Database

    def is_known(self, url: str | None, digest: str, full_page: bool = False) -> bool:
        """Whether an article with this URL or this text is already stored; for a
        ``full_page``, an article of its URL stored as a summary only does not count (the
        page replaces it)."""
        sql = (
            "SELECT 1 FROM articles WHERE content_hash = ? "
            "OR (url IS NOT NULL AND url = ? AND (page_error IS NULL OR NOT ?))"
        )
        return self._db.one(sql, (digest, url, full_page)) is not None

    def has_url(self, url: str) -> bool:
        """Whether an article with this URL is stored."""
        return self._db.one("SELECT 1 FROM articles WHERE url = ?", (url,)) is not None

    def page_known(self, url: str, now: datetime) -> bool:
        """Whether a feed item's page needs no fetching: its article is stored whole, or as a
        summary whose page has been fetched again :data:`PAGE_RETRIES` times, or is not due
        yet. False for a new URL, and for a summary-only article that is due, which then
        uses up one retry (the waits between them double from :data:`PAGE_RETRY_WAIT`)."""
        row = self._db.one(
            "SELECT id, page_error, page_tries, page_retry_at FROM articles WHERE url = ?", (url,)
        )
        if row is None:
            return False
        article_id, error, tries, retry_at = row
        due = retry_at is None or (when := from_db_time(retry_at)) is None or when <= now
        if error is None or tries >= PAGE_RETRIES or not due:
            return True
        claimed = self._db.write(
            "UPDATE articles SET page_tries = page_tries + 1, page_retry_at = ? "
            "WHERE id = ? AND page_tries = ?",
            (to_db_time(now + PAGE_RETRY_WAIT * 2**tries), article_id, tries),
        )
        return claimed == 0  # another poller claimed this retry

    def add(self, batch: Sequence[NewArticle], now: datetime) -> list[list[int] | None]:
        """Write articles with their passages and vectors in one transaction: all or nothing.

        Returns, per article, the new passage ids in span order, or None for an article
        whose URL or text was already stored (written meanwhile by another process).
        """
        return self.add_replacing(batch, now)[0]

    def add_replacing(
        self, batch: Sequence[NewArticle], now: datetime
    ) -> tuple[list[list[int] | None], list[int]]:
        """:meth:`add`, and the ids of the passages deleted with them: a full page replaces
        the article its URL was stored as when that was the feed's summary only."""
        stamp = to_db_time(now)
        replaced: list[int] = []
        try:
            with self._db.transaction() as conn:
                return [_add_article(conn, item, stamp, replaced) for item in batch], replaced
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
        for rows in pages(self._db, "passages", "text", 0, batch):
            vectors = np.ascontiguousarray(encode([r[1] for r in rows]), dtype=np.float32)
            with self._db.transaction() as conn:
                conn.executemany(
                    "UPDATE passages SET embedding = ? WHERE id = ?",
                    [(v.tobytes(), r[0]) for v, r in zip(vectors, rows, strict=True)],
                )


def _add_article(
    conn: sqlite3.Connection, item: NewArticle, stamp: str | None, replaced: list[int]
) -> list[int] | None:
    """Write one article inside the caller's transaction: its passage ids in span order, or
    None when its URL or text is already stored. A full page first deletes the summary-only
    article of its URL, adding that one's passage ids to ``replaced``."""
    a = item.article
    if a.url is not None and a.page_error is None:
        _replace_summary(conn, a.url, item.digest, replaced)
    cur = conn.execute(
        "INSERT OR IGNORE INTO articles (url, content_hash, title, published, source, "
        "language, text, ingested_at, page_error, page_retry_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            a.url,
            item.digest,
            a.title,
            to_db_time(a.published),
            a.source,
            a.language,
            a.text,
            stamp,
            a.page_error,
            stamp if a.page_error else None,  # the first retry: at the next poll
        ),
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


def _replace_summary(conn: sqlite3.Connection, url: str, digest: str, replaced: list[int]) -> None:
    """Delete the summary-only article of ``url`` (with its passages and mentions) unless the
    full text is stored already under another URL, in which case nothing is written."""
    row = conn.execute(
        "SELECT id FROM articles WHERE url = ? AND page_error IS NOT NULL", (url,)
    ).fetchone()
    if row is None:
        return
    (article_id,) = row
    other = conn.execute(
        "SELECT 1 FROM articles WHERE content_hash = ? AND id != ?", (digest, article_id)
    ).fetchone()
    if other is not None:
        return
    ids = [int(r[0]) for r in conn.execute("SELECT id FROM passages WHERE article_id = ?", row)]
    conn.execute(
        "DELETE FROM mentions WHERE passage_id IN (SELECT id FROM passages WHERE article_id = ?)",
        row,
    )
    conn.execute("DELETE FROM passages WHERE article_id = ?", row)
    conn.execute("DELETE FROM articles WHERE id = ?", row)
    replaced.extend(ids)


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
        "population, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (p.geonameid, p.name, p.lat, p.lon, p.country, p.admin1, p.population, p.kind)
            for p in places.values()
        ],
    )
    conn.executemany(
        "INSERT INTO mentions (passage_id, geonameid, surface, start_char, end_char, match, "
        "confidence) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
