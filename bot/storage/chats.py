"""What the bot keeps per chat in SQLite: settings, watches, feeds and delivered digest items."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable, Iterable
from datetime import datetime, time, timedelta
from pathlib import Path

from bot.domain.feeds import Feed
from bot.domain.watches import ChatSettings, Watch
from index.db import Database, from_db_time, marks, to_db_time

# Versions of the bot's tables, kept under the `bot_schema` key of the meta table: the bot and
# the knowledge store share one SQLite file but migrate independently, in any order.
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


class ChatStore:
    """The bot's tables in the knowledge store's SQLite file, on their own connection.

    Rows become domain values by column name; every change of more than one statement runs
    in one transaction that commits or rolls back (:meth:`Database.transaction`).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        # A crash may lose the last delivery records (never consistency): at worst one resend.
        self.db = Database(path)
        self.db.conn.row_factory = sqlite3.Row
        self.db.migrate("bot_schema", _MIGRATIONS, "bot")

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def _rows(self, sql: str, args: Iterable[object] = ()) -> list[sqlite3.Row]:
        with self.db.lock:
            return list(self.db.conn.execute(sql, tuple(args)).fetchall())

    # -- chats ------------------------------------------------------------------------------

    def chat(self, chat_id: int, now: datetime, cursor: int = 0) -> ChatSettings:
        """A chat's settings, created with the defaults (and ``cursor``) on first use."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO chats (id, cursor, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO NOTHING",
                (chat_id, cursor, to_db_time(now)),
            )
            found = self.get_chat(chat_id)
        assert found is not None
        return found

    def get_chat(self, chat_id: int) -> ChatSettings | None:
        """A chat's settings, or None for a chat the bot has not stored."""
        rows = self._rows(f"SELECT {_CHAT_COLUMNS} FROM chats WHERE id = ?", (chat_id,))
        return _chat(rows[0]) if rows else None

    def chats_with_watches(self) -> list[ChatSettings]:
        """Chats that watch something and have not blocked the bot."""
        rows = self._rows(
            f"SELECT {_CHAT_COLUMNS} FROM chats "
            "WHERE blocked = 0 AND id IN (SELECT chat_id FROM watches)"
        )
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
            self.db.write(f"UPDATE chats SET {sets} WHERE id = ?", [*changes.values(), chat_id])

    def migrate_chat(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: its settings, watches and deliveries move to the new id."""
        with self.db.transaction() as conn:
            if not conn.execute("SELECT 1 FROM chats WHERE id = ?", (new_id,)).fetchone():
                conn.execute("UPDATE chats SET id = ? WHERE id = ?", (new_id, old_id))
                return
            # The new id is already known (a message came from it first). The group's
            # settings win; the position is the earlier of the two, so nothing is skipped,
            # and the merged delivery log keeps anything from being sent twice.
            conn.execute(
                "UPDATE chats SET (digest_time, timezone, instant, cursor, last_digest_at) = "
                "(SELECT o.digest_time, o.timezone, o.instant, min(o.cursor, chats.cursor), "
                "o.last_digest_at FROM chats o WHERE o.id = ?) WHERE id = ?",
                (old_id, new_id),
            )
            conn.execute("UPDATE watches SET chat_id = ? WHERE chat_id = ?", (new_id, old_id))
            conn.execute(  # the same watch made in both: keep the first
                "DELETE FROM watches WHERE chat_id = ? AND id NOT IN (SELECT min(id) FROM "
                "watches WHERE chat_id = ? GROUP BY name, lat, lon, radius_km, keywords)",
                (new_id, new_id),
            )
            conn.execute(
                "INSERT OR IGNORE INTO deliveries SELECT ?, passage_id, message_id, "
                "delivered_at FROM deliveries WHERE chat_id = ?",
                (new_id, old_id),
            )
            conn.execute("DELETE FROM chats WHERE id = ?", (old_id,))

    # -- watches ----------------------------------------------------------------------------

    def add_watch(self, watch: Watch, now: datetime) -> Watch:
        """Store a new watch; returns it with the id assigned here."""
        with self.db.transaction() as conn:
            cur = conn.execute(
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
        return dataclasses.replace(watch, id=cur.lastrowid)

    def remove_watch(self, chat_id: int, watch_id: int) -> Watch | None:
        """Delete one of a chat's watches; returns it, or None if the chat has no such watch."""
        with self.db.transaction() as conn:
            found = [w for w in self.watches(chat_id) if w.id == watch_id]
            if found:
                conn.execute(
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
        if chat_id is None:
            where = "" if with_blocked else "WHERE c.blocked = 0 "
            rows = self._rows(sql + where + "ORDER BY w.id")
        else:
            rows = self._rows(sql + "WHERE w.chat_id = ? ORDER BY w.id", (chat_id,))
        return [_watch(r) for r in rows]

    # -- deliveries -------------------------------------------------------------------------

    def take_lease(
        self,
        owner: str,
        now: datetime,
        ttl: timedelta,
        dead: Callable[[str], bool] = lambda _holder: False,
    ) -> bool:
        """Become the one process sending digests, for ``ttl`` (kept by :meth:`renew_lease`).

        The lease is free when nobody holds it, its time ran out, or ``dead`` proves its
        holder's process gone. Reading and writing it is one write transaction, so of two
        processes taking it at once exactly one succeeds.
        """
        until = to_db_time(now + ttl)
        with self.db.transaction() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'digest_lease'").fetchone()
            holder, _, expires = (str(row["value"]) if row else "").rpartition(" ")
            free = (
                not holder or holder == owner or expires <= (to_db_time(now) or "") or dead(holder)
            )
            if free:
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('digest_lease', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (f"{owner} {until}",),
                )
        return free

    def renew_lease(self, owner: str, now: datetime, ttl: timedelta) -> bool:
        """Extend ``owner``'s lease to ``now + ttl``; False (and nothing changed) when another
        process holds it now. A lease that ran out but was not taken is still ``owner``'s."""
        changed = self.db.write(
            "UPDATE meta SET value = ? WHERE key = 'digest_lease' AND substr(value, 1, ?) = ?",
            (f"{owner} {to_db_time(now + ttl)}", len(owner) + 1, f"{owner} "),
        )
        return changed == 1

    def release_lease(self, owner: str) -> None:
        """Give the lease up (only if ``owner`` holds it)."""
        self.db.write(
            "DELETE FROM meta WHERE key = 'digest_lease' AND substr(value, 1, ?) = ?",
            (len(owner) + 1, f"{owner} "),
        )

    def delivered(self, chat_id: int, passage_ids: Iterable[int]) -> set[int]:
        """Which of the passages this chat has already been sent."""
        ids = list(passage_ids)
        out: set[int] = set()
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            rows = self._rows(
                f"SELECT passage_id FROM deliveries WHERE chat_id = ? "
                f"AND passage_id IN ({marks(chunk)})",
                (chat_id, *chunk),
            )
            out.update(int(r["passage_id"]) for r in rows)
        return out

    def record_delivery(
        self, chat_id: int, passage_ids: Iterable[int], message_id: int | None, now: datetime
    ) -> None:
        """Mark passages as sent to a chat: called only after the front end accepted the message."""
        rows = [(chat_id, pid, message_id, to_db_time(now)) for pid in passage_ids]
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO deliveries (chat_id, passage_id, message_id, "
                "delivered_at) VALUES (?, ?, ?, ?)",
                rows,
            )

    def finish_digest(self, chat_id: int, cursor: int, now: datetime, due: bool) -> None:
        """Every passage up to ``cursor`` is dealt with; a due digest is done for today."""
        if due:
            self.db.write(
                "UPDATE chats SET cursor = max(cursor, ?), last_digest_at = ? WHERE id = ?",
                (cursor, to_db_time(now), chat_id),
            )
        else:
            self.db.write(
                "UPDATE chats SET cursor = max(cursor, ?) WHERE id = ?", (cursor, chat_id)
            )

    # -- feeds ------------------------------------------------------------------------------

    def add_feed(self, url: str, origin: str, added_by: int | None, now: datetime) -> bool:
        """Follow a feed; False when it is already followed."""
        changed = self.db.write(
            "INSERT INTO feeds (url, origin, added_by, added_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (url) DO NOTHING",
            (url, origin, added_by, to_db_time(now)),
        )
        return changed > 0

    def remove_feed(self, url: str) -> bool:
        """Stop following a feed; False when it was not followed."""
        return self.db.write("DELETE FROM feeds WHERE url = ?", (url,)) > 0

    def feeds(self) -> list[Feed]:
        """Every followed feed, in the order they were added."""
        rows = self._rows(
            "SELECT url, origin, added_by, etag, last_modified, last_polled, next_poll, "
            "failures, last_error, articles FROM feeds ORDER BY added_at, url"
        )
        return [
            Feed(
                url=r["url"],
                origin=r["origin"],
                added_by=r["added_by"],
                etag=r["etag"],
                last_modified=r["last_modified"],
                last_polled=from_db_time(r["last_polled"]),
                next_poll=from_db_time(r["next_poll"]),
                failures=int(r["failures"]),
                last_error=r["last_error"],
                articles=int(r["articles"]),
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
            self.db.write(
                "UPDATE feeds SET last_polled = ?, next_poll = ?, etag = ?, "
                "last_modified = ?, failures = 0, last_error = NULL, "
                "articles = articles + ? WHERE url = ?",
                (to_db_time(now), to_db_time(next_poll), etag, last_modified, articles, url),
            )
        else:
            self.db.write(
                "UPDATE feeds SET last_polled = ?, next_poll = ?, failures = failures + 1, "
                "last_error = ? WHERE url = ?",
                (to_db_time(now), to_db_time(next_poll), error, url),
            )


_CHUNK = 900  # ids per IN-list: under SQLite's limit of host parameters
_CHAT_COLUMNS = "id, digest_time, timezone, instant, blocked, cursor, last_digest_at, created_at"


def _chat(row: sqlite3.Row) -> ChatSettings:
    hours, minutes = str(row["digest_time"]).split(":")
    return ChatSettings(
        chat_id=int(row["id"]),
        digest_time=time(int(hours), int(minutes)),
        timezone=str(row["timezone"]),
        instant=bool(row["instant"]),
        blocked=bool(row["blocked"]),
        cursor=int(row["cursor"]),
        last_digest_at=from_db_time(row["last_digest_at"]),
        created_at=from_db_time(row["created_at"]),
    )


def _watch(row: sqlite3.Row) -> Watch:
    return Watch(
        id=int(row["id"]),
        chat_id=int(row["chat_id"]),
        name=str(row["name"]),
        label=str(row["label"]),
        lat=float(row["lat"]),
        lon=float(row["lon"]),
        radius_km=float(row["radius_km"]),
        keywords=tuple(k for k in str(row["keywords"]).split("\n") if k),
        geonameid=row["geonameid"],
        after_passage=int(row["after_passage"]),
    )
