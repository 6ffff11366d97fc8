"""The knowledge tables' schema: its migrations in version order, and opening a database
at the current version."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from index.db import Database
from index.errors import StoreError

# The knowledge schema's version in the ``meta`` table (see :meth:`Database.migrate`).
SCHEMA_KEY = "knowledge_schema"

# Each entry moves the schema one version up; a database is migrated, never recreated.
MIGRATIONS: tuple[str, ...] = (
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
    """
    -- A feed item stored as its summary because its page failed: why, how many times the page
    -- was fetched again, and when it may be next (NULL: a full article).
    ALTER TABLE articles ADD COLUMN page_error TEXT;
    ALTER TABLE articles ADD COLUMN page_tries INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE articles ADD COLUMN page_retry_at TEXT;
    CREATE INDEX articles_summary_only ON articles (url) WHERE page_error IS NOT NULL;
    """,
    """
    -- What a place is: a town, or an area (region, country, continent) that covers others.
    ALTER TABLE places ADD COLUMN kind TEXT NOT NULL DEFAULT 'town';
    """,
)


def open_database(path: Path) -> Database:
    """The knowledge database at ``path``, created or migrated to the current schema."""
    try:
        db = Database(path)
        _adopt_user_version(db)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not a Sitrep database: {exc}") from exc
    db.migrate(SCHEMA_KEY, MIGRATIONS, "knowledge")
    return db


def _adopt_user_version(db: Database) -> None:
    """Databases made before the schema version moved to ``meta`` kept it in
    ``PRAGMA user_version``: record that version under the key once, so that they open
    as they are instead of being migrated from the start."""
    with db.transaction() as conn:
        (old,) = conn.execute("PRAGMA user_version").fetchone()
        if old and db.version(SCHEMA_KEY) == 0:
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (SCHEMA_KEY, str(old)))
