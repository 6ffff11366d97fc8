"""The chat store's transactions: a change that fails midway leaves nothing half-done, and the
shared connection is never left inside a transaction."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.domain.watches import Watch
from bot.storage.chats import ChatStore
from conftest import START
from index.errors import StoreError


def bakhmut(chat_id: int) -> Watch:
    return Watch(0, chat_id, "Bakhmut", "Bakhmut (Donetsk, UA)", 48.5942, 37.9989, 15.0)


def test_a_change_that_fails_midway_leaves_nothing_half_done(tmp_path: Path) -> None:
    path = tmp_path / "sitrep.db"
    store = ChatStore(path)
    store.chat(-46, START)
    store.chat(-10046, START)  # the supergroup wrote first: migrating merges into it
    store.add_watch(bakhmut(-46), START)
    # The last statement of the merge fails (as a full disk or a lock timeout would).
    store.db.conn.execute(
        "CREATE TRIGGER no_delete BEFORE DELETE ON chats "
        "BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
    )
    with pytest.raises((StoreError, sqlite3.Error)):
        store.migrate_chat(-46, -10046)
    store.db.conn.execute("DROP TRIGGER no_delete")
    # The watch did not move half-way: it is still the group's, and only once.
    assert [w.chat_id for w in store.watches()] == [-46]
    # The next change is committed on its own, as another process sees it.
    store.update_chat(-46, instant=True)
    other = ChatStore(path)
    try:
        found = other.get_chat(-46)
        assert found is not None and found.instant
    finally:
        other.close()
        store.close()


def test_either_store_may_open_a_new_database_first(tmp_path: Path) -> None:
    from index.store import Store

    path = tmp_path / "sitrep.db"
    chats = ChatStore(path)  # the chat tables first, then the knowledge store
    store = Store(path)
    try:
        assert store.passage_count() == 0 and chats.watches() == []
    finally:
        store.close()
        chats.close()
