"""The digest lease: which process may send digests, for how long, and how its successor
knows it is gone.

Two processes sending at once (the bot, and ``sitrep digest`` from a shell, or a bot and its
restarted self) could both find the same items pending, so one process at a time holds the
lease in the database. It is short (one digest tick, at least :data:`MIN_LEASE`) and renewed
while a delivery run lasts: a heartbeat keeps a long run's lease, and every send first checks,
by an atomic renewal, that the lease is still this process's. A holder that died stops
renewing, so its lease runs out within about a tick. A successor on the same machine need not
wait even that long: the holder names its process (host, boot, pid namespace, pid and the
process's start time), and a process that is gone, or whose pid now belongs to a later
process, is proven dead and its lease taken at once.

What no lease can prevent: a process frozen after its check and before its request leaves,
for longer than the lease. The check renews the lease for a full term right before each send,
so that takes a pause of a whole tick at that very point.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.storage.chats import ChatStore
from bot.ticks import Ticks
from index.clock import Clock

log = logging.getLogger(__name__)

# The shortest lease: renewals are SQLite writes, which may wait on another writer for a while.
MIN_LEASE = timedelta(seconds=5)


@dataclass(frozen=True, slots=True)
class Holder:
    """A process (and one of its senders) that may hold the lease, as the database names it."""

    host: str
    boot: str  # the kernel's boot id: a pid names a process only within one boot
    namespace: str  # the pid namespace: containers on one kernel number their processes apart
    pid: int
    started: str  # when the process started, in clock ticks since boot ("" where unknown)
    token: str  # which sender of the process

    def __str__(self) -> str:
        parts = (self.host, self.boot, self.namespace, str(self.pid), self.started, self.token)
        return "/".join(parts)

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        """The holder named by ``text``; None for a name this version does not know."""
        parts = text.split("/")
        if len(parts) != 6 or not parts[3].isdigit():
            return None
        host, boot, namespace, pid, started, token = parts
        return cls(host, boot, namespace, int(pid), started, token)

    def proven_dead(self) -> bool:
        """Whether this holder's process is gone, as the running process can tell.

        Only a process on this host, boot and pid namespace can be looked up; its pid
        missing, a zombie, or started at another time than the holder's means it died.
        Anything else (another machine, another container, no ``/proc``) proves nothing.
        """
        if not (self.boot and self.namespace and self.started):
            return False
        if (self.host, self.boot, self.namespace) != _machine():
            return False
        return _started(self.pid) != self.started


def this_process(token: str) -> Holder:
    """The running process as a lease holder; ``token`` tells its senders apart."""
    host, boot, namespace = _machine()
    pid = os.getpid()
    return Holder(host, boot, namespace, pid, _started(pid) or "", token)


def _machine() -> tuple[str, str, str]:
    """Where the running process's pids mean something: host, boot id, pid namespace."""
    host = socket.gethostname().replace("/", "_").replace(" ", "_")
    try:
        namespace = os.readlink("/proc/self/ns/pid").replace("/", "_")
    except OSError:
        namespace = ""
    return host, _read("/proc/sys/kernel/random/boot_id"), namespace


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def _started(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot); None if it is gone or a zombie."""
    stat = _read(f"/proc/{pid}/stat")
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after it.
    fields = stat.rpartition(")")[2].split()
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    return fields[19]  # field 22 of stat(5), counted after comm


class Lease:
    """The digest lease as one sender holds it: :meth:`holding` for a delivery run, with a
    heartbeat; :meth:`still_held` before each send."""

    def __init__(
        self,
        chats: ChatStore,
        clock: Clock,
        holder: Holder,
        tick: timedelta,
        beat: timedelta | None = None,
    ) -> None:
        self.chats = chats
        self.clock = clock
        self.holder = holder
        self.ttl = max(tick, MIN_LEASE)
        # Renewals come well inside the lease; the cadence is the event loop's real time.
        self.beat = beat or self.ttl / 3
        self.beats = Ticks()  # heartbeats done: tests wait for them, not for seconds
        self._lost = False

    async def take(self) -> bool:
        """Take the lease if it is free, expired, or held by a process proven dead."""
        taken = await asyncio.to_thread(
            self.chats.take_lease, str(self.holder), self.clock.now(), self.ttl, self._dead
        )
        self._lost = not taken
        return taken

    async def still_held(self) -> bool:
        """Renew the lease; False when another process has taken it (this one was paused or
        cut off from the database for longer than the lease), and from then on."""
        if self._lost:
            return False
        renewed = await asyncio.to_thread(
            self.chats.renew_lease, str(self.holder), self.clock.now(), self.ttl
        )
        if not renewed:
            self._lost = True
            log.warning("the digest lease passed to another process; this one stops sending")
        return renewed

    async def release(self) -> None:
        """Give the lease up (if this sender still holds it)."""
        await asyncio.to_thread(self.chats.release_lease, str(self.holder))

    @contextlib.asynccontextmanager
    async def holding(self) -> AsyncIterator[bool]:
        """Hold the lease for the block, renewed by a heartbeat (False: another process has
        it, and the block must not send)."""
        if not await self.take():
            yield False
            return
        done = asyncio.Event()
        heartbeat = asyncio.create_task(self._heartbeat(done))
        try:
            yield True
        finally:
            done.set()
            await heartbeat
            await self.release()

    async def _heartbeat(self, done: asyncio.Event) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.beat.total_seconds()):
                    await done.wait()
            if done.is_set():
                return
            try:
                held = await self.still_held()
            except Exception:  # the next check before a send decides; the beat goes on
                log.exception("could not renew the digest lease")
                held = True
            await self.beats.done()
            if not held:
                return

    def _dead(self, text: str) -> bool:
        holder = Holder.parse(text)
        if holder is None or not holder.proven_dead():
            return False
        log.warning("the digest lease's holder %s is gone: taking over", holder)
        return True
