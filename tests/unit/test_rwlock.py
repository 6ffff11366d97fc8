"""The read-write lock: readers run together, a writer runs alone."""

from __future__ import annotations

import threading

from index.rwlock import ReadWriteLock

WAIT = 5.0  # generous: only reached when the lock is broken
BLOCKED = 0.2  # a thread still running after this long is waiting on the lock


def test_readers_hold_the_lock_together() -> None:
    lock = ReadWriteLock()
    both_inside = threading.Barrier(2, timeout=WAIT)
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            with lock.read():
                both_inside.wait()  # breaks (and raises) unless the other reader is inside too
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert errors == []


def test_a_writer_waits_for_readers_and_new_readers_wait_for_the_writer() -> None:
    lock = ReadWriteLock()
    events: list[str] = []
    reading = threading.Event()
    release_reader = threading.Event()

    def first_reader() -> None:
        with lock.read():
            events.append("reader in")
            reading.set()
            release_reader.wait(WAIT)
            events.append("reader out")

    def writer() -> None:
        with lock.write():
            events.append("writer in")
            events.append("writer out")

    def late_reader() -> None:
        with lock.read():
            events.append("late reader in")

    r = threading.Thread(target=first_reader)
    r.start()
    reading.wait(WAIT)
    w = threading.Thread(target=writer)
    w.start()
    w.join(BLOCKED)
    assert w.is_alive(), "the writer must wait while a reader holds the lock"
    late = threading.Thread(target=late_reader)
    late.start()
    late.join(BLOCKED)
    assert late.is_alive(), "a new reader must not overtake a waiting writer"
    release_reader.set()
    for t in (r, w, late):
        t.join(WAIT)
    assert events == ["reader in", "reader out", "writer in", "writer out", "late reader in"]


def test_a_writer_excludes_readers_until_it_is_done() -> None:
    lock = ReadWriteLock()
    inside = threading.Event()
    release = threading.Event()
    events: list[str] = []

    def writer() -> None:
        with lock.write():
            inside.set()
            release.wait(WAIT)
            events.append("writer out")

    def reader() -> None:
        with lock.read():
            events.append("reader in")

    w = threading.Thread(target=writer)
    w.start()
    inside.wait(WAIT)
    r = threading.Thread(target=reader)
    r.start()
    r.join(BLOCKED)
    assert r.is_alive(), "a reader must wait while the writer holds the lock"
    release.set()
    for t in (w, r):
        t.join(WAIT)
    assert events == ["writer out", "reader in"]
