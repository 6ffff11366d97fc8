"""The digest lease: which process may send digests, and for how long.

Two processes sending at once (the bot, and ``sitrep digest`` from a shell, or a bot and its
restarted self) could both find the same items pending, so one process at a time holds the
lease in the database. It is short (one digest tick, at least :data:`MIN_LEASE`) and renewed
while a delivery run lasts: a heartbeat keeps a long run's lease, and every send first checks,
by an atomic renewal, that the lease is still this process's. A holder that died stops
renewing, so its lease runs out within about a tick.

What no lease can prevent: a process frozen after its check and before its request leaves,
for longer than the lease. The check renews the lease for a full term right before each send,
so that takes a pause of a whole tick at that very point.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from bot.storage.chats import ChatStore
from bot.ticks import Ticks
from index.clock import Clock

log = logging.getLogger(__name__)

# The shortest lease: renewals are SQLite writes, which may wait on another writer for a while.
MIN_LEASE = timedelta(seconds=5)


class Lease:
    """The digest lease as one sender holds it: :meth:`holding` for a delivery run, with a
    heartbeat; :meth:`still_held` before each send."""

    def __init__(
        self,
        chats: ChatStore,
        clock: Clock,
        holder: str,
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
        """Take the lease if it is free or expired."""
        taken = await asyncio.to_thread(
            self.chats.take_lease, self.holder, self.clock.now(), self.ttl
        )
        self._lost = not taken
        return taken

    async def still_held(self) -> bool:
        """Renew the lease; False when another process has taken it (this one was paused or
        cut off from the database for longer than the lease), and from then on."""
        if self._lost:
            return False
        renewed = await asyncio.to_thread(
            self.chats.renew_lease, self.holder, self.clock.now(), self.ttl
        )
        if not renewed:
            self._lost = True
            log.warning("the digest lease passed to another process; this one stops sending")
        return renewed

    async def release(self) -> None:
        """Give the lease up (if this sender still holds it)."""
        await asyncio.to_thread(self.chats.release_lease, self.holder)

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
