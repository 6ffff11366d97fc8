"""SQLite plumbing shared by every store: one connection per store, serialised by a lock,
one transaction helper that commits or rolls back, migrations by version, IN-lists."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence, Sized
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index.errors import StoreError

log = logging.getLogger(__name__)

# The version key of each schema lives in this table; every store creates it if missing, so
# no store depends on another having been opened first.
_META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"


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


_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def to_db_time(value: datetime | None) -> str | None:
    """A timezone-aware datetime as the sortable UTC text the store keeps."""
    return value.astimezone(UTC).strftime(_TIME_FORMAT) if value else None


def from_db_time(value: str | None) -> datetime | None:
    """The inverse of :func:`to_db_time`."""
    return datetime.strptime(value, _TIME_FORMAT).replace(tzinfo=UTC) if value else None


def marks(values: Sized) -> str:
    """The ``?, ?, ?`` of an ``IN (...)`` list with one mark per value."""
    return ",".join("?" * len(values))


class Database:
    """One SQLite connection and the lock that serialises its use between threads.

    Every statement runs under ``lock``; every multi-statement change runs in
    :meth:`transaction`, which commits when the block ends and rolls back when it raises, so
    the shared connection is never left inside a transaction.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = connect(path)
        self.lock = threading.RLock()
        with self.lock:
            self.conn.execute(_META)

    def close(self) -> None:
        """Close the connection; the database cannot be used afterwards."""
        with self.lock:
            self.conn.close()

    @contextmanager
    def transaction(self, immediate: bool = True) -> Iterator[sqlite3.Connection]:
        """``with db.transaction() as conn:`` — all or nothing.

        ``immediate`` takes the write lock at the start (``BEGIN IMMEDIATE``), so a
        read-then-write block cannot be overtaken by another process's writer.
        """
        with self.lock:
            if self.conn.in_transaction:  # nested: the outer block commits or rolls back
                yield self.conn
                return
            try:
                self.conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot write to {self.path}: {exc}") from exc
            try:
                yield self.conn
            except BaseException:
                self.conn.rollback()
                raise
            try:
                self.conn.commit()
            except sqlite3.Error as exc:
                self.conn.rollback()
                raise StoreError(f"cannot write to {self.path}: {exc}") from exc

    def write(self, sql: str, args: Sequence[object] = ()) -> int:
        """Run one statement in its own transaction; returns the number of rows it changed."""
        try:
            with self.transaction() as conn:
                return conn.execute(sql, tuple(args)).rowcount
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to {self.path}: {exc}") from exc

    def query(self, sql: str, args: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """All rows of one query (columns typed as SQLite returns them)."""
        with self.lock:
            return list(self.conn.execute(sql, tuple(args)).fetchall())

    def one(self, sql: str, args: Sequence[object] = ()) -> tuple[Any, ...] | None:
        """The first row of one query, or None."""
        with self.lock:
            row = self.conn.execute(sql, tuple(args)).fetchone()
        return None if row is None else tuple(row)

    def version(self, key: str) -> int:
        """The schema version recorded under ``key`` (0 for a new database)."""
        row = self.one("SELECT value FROM meta WHERE key = ?", (key,))
        return int(str(row[0])) if row else 0

    def migrate(self, key: str, migrations: Sequence[str], what: str) -> None:
        """Bring the schema recorded under ``key`` up to date, one version per transaction."""
        with self.lock:
            version = self.version(key)
            if version > len(migrations):
                raise StoreError(
                    f"{self.path} has {what} schema version {version}, newer than this Sitrep "
                    f"({len(migrations)}): upgrade Sitrep"
                )
            for number, script in enumerate(migrations[version:], start=version + 1):
                log.info("migrating the %s tables of %s to version %d", what, self.path, number)
                with self.transaction():
                    for statement in _statements(script):
                        self.conn.execute(statement)
                    self.conn.execute(
                        "INSERT INTO meta (key, value) VALUES (?, ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        (key, str(number)),
                    )


def _statements(script: str) -> list[str]:
    """A migration script split into complete statements (triggers hold inner semicolons)."""
    out: list[str] = []
    current = ""
    for part in script.split(";"):
        current = f"{current};{part}" if current else part
        if sqlite3.complete_statement(current + ";"):
            if current.strip():
                out.append(current.strip())
            current = ""
    if current.strip():
        out.append(current.strip())
    return out
