"""What the bot keeps per chat in SQLite: settings, watches, feeds and delivered digest items."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from index.errors import StoreError
from index.store import connect, from_db_time, to_db_time

log = logging.getLogger(__name__)

# Versions of the bot's tables, kept under the `bot_schema` key of the knowledge store's meta
# table: the two layers share one SQLite file but migrate independently.
_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE chats (
        id INTEGER PRIMARY KEY,
        digest_time TEXT NOT NULL DEFAULT '08:00',
        timezone TEXT NOT NULL DEFAULT 'UTC',
        instant INTEGER NOT NULL DEFAULT 0,
        blocked INTEGER NOT NULL DEFAULT 0,
        -- Passages up to this id have been considered for this chat's digests.
        cursor INTEGER NOT NULL DEFAULT 0,
        last_digest_at TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE watches (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE ON UPDATE CASCADE,
        name TEXT NOT NULL,
        label TEXT NOT NULL,
        geonameid INTEGER,
        lat REAL NOT NULL,
        lon REAL NOT NULL,
        radius_km REAL NOT NULL,
        keywords TEXT NOT NULL DEFAULT '',
        -- A watch reports passages stored after it was made, not the archive.
        after_passage INTEGER NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX watches_chat ON watches (chat_id);
    -- One row per digest item accepted by Telegram: what makes delivery exactly once.
    CREATE TABLE deliveries (
        chat_id INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE ON UPDATE CASCADE,
        passage_id INTEGER NOT NULL,
        message_id INTEGER,
        delivered_at TEXT NOT NULL,
        PRIMARY KEY (chat_id, passage_id)
    ) WITHOUT ROWID;
    CREATE TABLE feeds (
        url TEXT PRIMARY KEY,
        origin TEXT NOT NULL,
        added_by INTEGER,
        added_at TEXT NOT NULL,
        etag TEXT,
        last_modified TEXT,
        last_polled TEXT,
        next_poll TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        articles INTEGER NOT NULL DEFAULT 0
    );
    """,
)

DEFAULT_DIGEST_TIME = time(8, 0)


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """A chat's digest settings and where its digests stand."""

    chat_id: int
    digest_time: time = DEFAULT_DIGEST_TIME
    timezone: str = "UTC"
    instant: bool = False
    blocked: bool = False
    cursor: int = 0
    last_digest_at: datetime | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Watch:
    """A point and radius a chat watches, resolved once, with optional keywords."""

    id: int
    chat_id: int
    name: str
    label: str
    lat: float
    lon: float
    radius_km: float
    keywords: tuple[str, ...] = ()
    geonameid: int | None = None
    after_passage: int = 0

    @property
    def title(self) -> str:
        """ "Bakhmut, 20 km (drones)": how the chat sees the watch."""
        words = f" ({', '.join(self.keywords)})" if self.keywords else ""
        return f"{self.name}, {self.radius_km:g} km{words}"


@dataclass(frozen=True, slots=True)
class Feed:
    """A followed feed and how its polling goes."""

    url: str
    origin: str  # "config" or "chat"
    added_by: int | None
    etag: str | None
    last_modified: str | None
    last_polled: datetime | None
    next_poll: datetime | None
    failures: int
    last_error: str | None
    articles: int


class ChatStore:
    """The bot's tables in the knowledge store's SQLite file, on their own connection."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # A crash may lose the last delivery records (never consistency): at worst one resend.
        self._db = connect(path)
        self._lock = threading.RLock()
        self._migrate()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def _migrate(self) -> None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'bot_schema'").fetchone()
            version = int(row[0]) if row else 0
            if version > len(_MIGRATIONS):
                raise StoreError(
                    f"{self.path} has bot schema version {version}, newer than this Sitrep"
                )
            for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
                log.info("migrating the bot tables of %s to version %d", self.path, number)
                self._db.executescript(
                    f"BEGIN; {script}; INSERT INTO meta (key, value) VALUES ('bot_schema', "
                    f"'{number}') ON CONFLICT (key) DO UPDATE SET value = excluded.value; COMMIT;"
                )

    def _write(self, sql: str, args: Sequence[object] = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        with self._lock:
            try:
                return self._db.execute(sql, tuple(args)).rowcount
            except sqlite3.Error as exc:
                raise StoreError(f"cannot write to {self.path}: {exc}") from exc

    # -- chats ------------------------------------------------------------------------------

    def chat(self, chat_id: int, now: datetime, cursor: int = 0) -> ChatSettings:
        """A chat's settings, created with the defaults (and ``cursor``) on first use."""
        with self._lock:
            self._db.execute(
                "INSERT INTO chats (id, cursor, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO NOTHING",
                (chat_id, cursor, to_db_time(now)),
            )
            found = self.get_chat(chat_id)
        assert found is not None
        return found

    def get_chat(self, chat_id: int) -> ChatSettings | None:
        """A chat's settings, or None for a chat the bot has not stored."""
        with self._lock:
            row = self._db.execute(
                "SELECT id, digest_time, timezone, instant, blocked, cursor, last_digest_at, "
                "created_at FROM chats WHERE id = ?",
                (chat_id,),
            ).fetchone()
        return None if row is None else _chat(row)

    def chats_with_watches(self) -> list[ChatSettings]:
        """Chats that watch something and have not blocked the bot."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, digest_time, timezone, instant, blocked, cursor, last_digest_at, "
                "created_at FROM chats WHERE blocked = 0 AND id IN (SELECT chat_id FROM watches)"
            ).fetchall()
        return [_chat(r) for r in rows]

    def update_chat(
        self,
        chat_id: int,
        digest_time: time | None = None,
        timezone: str | None = None,
        instant: bool | None = None,
        blocked: bool | None = None,
    ) -> None:
        """Change some of a chat's settings."""
        changes: dict[str, object] = {}
        if digest_time is not None:
            changes["digest_time"] = digest_time.strftime("%H:%M")
        if timezone is not None:
            changes["timezone"] = timezone
        if instant is not None:
            changes["instant"] = int(instant)
        if blocked is not None:
            changes["blocked"] = int(blocked)
        if changes:
            sets = ", ".join(f"{k} = ?" for k in changes)
            self._write(f"UPDATE chats SET {sets} WHERE id = ?", [*changes.values(), chat_id])

    def migrate_chat(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: its settings, watches and deliveries move to the new id."""
        with self._lock:
            if self._db.execute("SELECT 1 FROM chats WHERE id = ?", (new_id,)).fetchone():
                # The new id is already known (a message came from it first). The group's
                # settings win; the position is the earlier of the two, so nothing is skipped,
                # and the merged delivery log keeps anything from being sent twice.
                self._db.execute("BEGIN")
                self._db.execute(
                    "UPDATE chats SET (digest_time, timezone, instant, cursor, last_digest_at) = "
                    "(SELECT o.digest_time, o.timezone, o.instant, min(o.cursor, chats.cursor), "
                    "o.last_digest_at FROM chats o WHERE o.id = ?) WHERE id = ?",
                    (old_id, new_id),
                )
                self._db.execute(
                    "UPDATE watches SET chat_id = ? WHERE chat_id = ?", (new_id, old_id)
                )
                self._db.execute(  # the same watch made in both: keep the first
                    "DELETE FROM watches WHERE chat_id = ? AND id NOT IN (SELECT min(id) FROM "
                    "watches WHERE chat_id = ? GROUP BY name, lat, lon, radius_km, keywords)",
                    (new_id, new_id),
                )
                self._db.execute(
                    "INSERT OR IGNORE INTO deliveries SELECT ?, passage_id, message_id, "
                    "delivered_at FROM deliveries WHERE chat_id = ?",
                    (new_id, old_id),
                )
                self._db.execute("DELETE FROM chats WHERE id = ?", (old_id,))
                self._db.execute("COMMIT")
            else:
                self._db.execute("UPDATE chats SET id = ? WHERE id = ?", (new_id, old_id))

    # -- watches ----------------------------------------------------------------------------

    def add_watch(self, watch: Watch, now: datetime) -> Watch:
        """Store a new watch (its id is assigned here)."""
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO watches (chat_id, name, label, geonameid, lat, lon, radius_km, "
                "keywords, after_passage, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    watch.chat_id,
                    watch.name,
                    watch.label,
                    watch.geonameid,
                    watch.lat,
                    watch.lon,
                    watch.radius_km,
                    "\n".join(watch.keywords),
                    watch.after_passage,
                    to_db_time(now),
                ),
            )
            assert cur.lastrowid is not None
            new_id = cur.lastrowid
        return Watch(
            new_id,
            watch.chat_id,
            watch.name,
            watch.label,
            watch.lat,
            watch.lon,
            watch.radius_km,
            watch.keywords,
            watch.geonameid,
            watch.after_passage,
        )

    def remove_watch(self, chat_id: int, watch_id: int) -> Watch | None:
        """Delete one of a chat's watches; returns it, or None if the chat has no such watch."""
        with self._lock:
            found = [w for w in self.watches(chat_id) if w.id == watch_id]
            if found:
                self._db.execute(
                    "DELETE FROM watches WHERE id = ? AND chat_id = ?", (watch_id, chat_id)
                )
        return found[0] if found else None

    def watches(self, chat_id: int | None = None, with_blocked: bool = False) -> list[Watch]:
        """A chat's watches; with no ``chat_id``, every watch of every chat that has not
        blocked the bot (of every chat at all ``with_blocked``)."""
        sql = (
            "SELECT w.id, w.chat_id, w.name, w.label, w.lat, w.lon, w.radius_km, w.keywords, "
            "w.geonameid, w.after_passage FROM watches w JOIN chats c ON c.id = w.chat_id "
        )
        with self._lock:
            if chat_id is None:
                where = "" if with_blocked else "WHERE c.blocked = 0 "
                rows = self._db.execute(sql + where + "ORDER BY w.id").fetchall()
            else:
                rows = self._db.execute(
                    sql + "WHERE w.chat_id = ? ORDER BY w.id", (chat_id,)
                ).fetchall()
        return [
            Watch(
                int(r[0]),
                int(r[1]),
                r[2],
                r[3],
                float(r[4]),
                float(r[5]),
                float(r[6]),
                tuple(k for k in str(r[7]).split("\n") if k),
                r[8],
                int(r[9]),
            )
            for r in rows
        ]

    # -- deliveries -------------------------------------------------------------------------

    def take_lease(self, owner: str, now: datetime, ttl: timedelta) -> bool:
        """Become the one process sending digests (for ``ttl``, renewed by taking it again).

        Two processes sending at once (the bot, and ``sitrep digest`` from a shell) could
        both find the same items pending; the lease lets one of them send at a time.
        """
        until = to_db_time(now + ttl)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute("SELECT value FROM meta WHERE key = 'digest_lease'").fetchone()
            holder, _, expires = (str(row[0]) if row else "").rpartition(" ")
            free = not holder or holder == owner or expires <= (to_db_time(now) or "")
            if free:
                self._db.execute(
                    "INSERT INTO meta (key, value) VALUES ('digest_lease', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (f"{owner} {until}",),
                )
            self._db.execute("COMMIT")
        return free

    def release_lease(self, owner: str) -> None:
        """Give the lease up (only if ``owner`` holds it)."""
        self._write(
            "DELETE FROM meta WHERE key = 'digest_lease' AND substr(value, 1, ?) = ?",
            (len(owner) + 1, f"{owner} "),
        )

    def delivered(self, chat_id: int, passage_ids: Iterable[int]) -> set[int]:
        """Which of the passages this chat has already been sent."""
        ids = list(passage_ids)
        out: set[int] = set()
        with self._lock:
            for start in range(0, len(ids), 900):
                chunk = ids[start : start + 900]
                marks = ",".join("?" * len(chunk))
                out.update(
                    int(r[0])
                    for r in self._db.execute(
                        f"SELECT passage_id FROM deliveries WHERE chat_id = ? "
                        f"AND passage_id IN ({marks})",
                        (chat_id, *chunk),
                    )
                )
        return out

    def record_delivery(
        self, chat_id: int, passage_ids: Iterable[int], message_id: int | None, now: datetime
    ) -> None:
        """Mark passages as sent to a chat: called only after Telegram accepted the message."""
        rows = [(chat_id, pid, message_id, to_db_time(now)) for pid in passage_ids]
        with self._lock:
            try:
                self._db.execute("BEGIN")
                self._db.executemany(
                    "INSERT OR IGNORE INTO deliveries (chat_id, passage_id, message_id, "
                    "delivered_at) VALUES (?, ?, ?, ?)",
                    rows,
                )
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise StoreError(f"cannot write to {self.path}: {exc}") from exc

    def finish_digest(self, chat_id: int, cursor: int, now: datetime, due: bool) -> None:
        """Every passage up to ``cursor`` is dealt with; a due digest is done for today."""
        if due:
            self._write(
                "UPDATE chats SET cursor = max(cursor, ?), last_digest_at = ? WHERE id = ?",
                (cursor, to_db_time(now), chat_id),
            )
        else:
            self._write("UPDATE chats SET cursor = max(cursor, ?) WHERE id = ?", (cursor, chat_id))

    def delivery_count(self, chat_id: int) -> int:
        """How many digest items this chat has been sent."""
        with self._lock:
            return int(
                self._db.execute(
                    "SELECT count(*) FROM deliveries WHERE chat_id = ?", (chat_id,)
                ).fetchone()[0]
            )

    # -- feeds ------------------------------------------------------------------------------

    def add_feed(self, url: str, origin: str, added_by: int | None, now: datetime) -> bool:
        """Follow a feed; False when it is already followed."""
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO feeds (url, origin, added_by, added_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (url) DO NOTHING",
                (url, origin, added_by, to_db_time(now)),
            )
            return cur.rowcount > 0

    def remove_feed(self, url: str) -> bool:
        """Stop following a feed; False when it was not followed."""
        with self._lock:
            return self._db.execute("DELETE FROM feeds WHERE url = ?", (url,)).rowcount > 0

    def feeds(self) -> list[Feed]:
        """Every followed feed, in the order they were added."""
        with self._lock:
            rows = self._db.execute(
                "SELECT url, origin, added_by, etag, last_modified, last_polled, next_poll, "
                "failures, last_error, articles FROM feeds ORDER BY added_at, url"
            ).fetchall()
        return [
            Feed(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                from_db_time(r[5]),
                from_db_time(r[6]),
                int(r[7]),
                r[8],
                int(r[9]),
            )
            for r in rows
        ]

    def record_poll(
        self,
        url: str,
        now: datetime,
        next_poll: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
        error: str | None = None,
        articles: int = 0,
    ) -> None:
        """The outcome of one poll: validators kept on success, failures counted on error."""
        if error is None:
            self._write(
                "UPDATE feeds SET last_polled = ?, next_poll = ?, etag = ?, "
                "last_modified = ?, failures = 0, last_error = NULL, "
                "articles = articles + ? WHERE url = ?",
                (to_db_time(now), to_db_time(next_poll), etag, last_modified, articles, url),
            )
        else:
            self._write(
                "UPDATE feeds SET last_polled = ?, next_poll = ?, failures = failures + 1, "
                "last_error = ? WHERE url = ?",
                (to_db_time(now), to_db_time(next_poll), error, url),
            )


def _chat(row: Sequence[object]) -> ChatSettings:
    hours, minutes = str(row[1]).split(":")
    return ChatSettings(
        chat_id=int(str(row[0])),
        digest_time=time(int(hours), int(minutes)),
        timezone=str(row[2]),
        instant=bool(row[3]),
        blocked=bool(row[4]),
        cursor=int(str(row[5])),
        last_digest_at=from_db_time(row[6] if isinstance(row[6], str) else None),
        created_at=from_db_time(row[7] if isinstance(row[7], str) else None),
    )
