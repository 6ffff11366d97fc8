"""The digest lease: one sender at a time; a dead holder's lease passes on within two ticks;
a live holder keeps it as long as it renews."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.digests.lease import Lease
from bot.storage.chats import ChatStore
from index.clock import ManualClock

TICK = timedelta(seconds=60)
SECOND = timedelta(seconds=1)


@pytest.fixture
def chats(tmp_path: Path) -> Iterator[ChatStore]:
    store = ChatStore(tmp_path / "sitrep.sqlite3")
    yield store
    store.close()


def elsewhere(token: str) -> str:
    """A sender on another machine: only its lease's end frees the lease."""
    return f"other-host:4242:{token}"


async def test_a_dead_holders_lease_passes_on_within_two_ticks_and_a_renewed_one_never(
    chats: ChatStore, clock: ManualClock
) -> None:
    first = Lease(chats, clock, elsewhere("first"), TICK)
    second = Lease(chats, clock, elsewhere("second"), TICK)
    assert await first.take()
    assert not await second.take()
    for _ in range(4):  # four ticks' worth: the live holder renews, and keeps it
        clock.advance(TICK - SECOND)
        assert await first.still_held()
        assert not await second.take()
    # The first dies: no more renewals, no release.
    clock.advance(TICK - SECOND)
    assert not await second.take()
    clock.advance(SECOND)  # one tick after its last renewal
    assert await second.take()
    assert not await first.still_held()  # had it only been paused, it must not send now
    clock.advance(2 * TICK)
    assert await second.still_held()


async def test_a_long_run_keeps_its_lease_by_its_heartbeat(
    chats: ChatStore, clock: ManualClock
) -> None:
    first = Lease(chats, clock, elsewhere("first"), TICK, beat=timedelta(milliseconds=10))
    second = Lease(chats, clock, elsewhere("second"), TICK)
    async with first.holding() as held:
        assert held
        for _ in range(3):
            clock.advance(TICK)
            await first.beats.wait(2)  # the second beat surely renewed after the advance
            assert not await second.take()
    assert await second.take()  # released at the end of the run


async def test_the_lease_is_never_shared_and_a_second_sender_of_one_process_waits(
    chats: ChatStore, clock: ManualClock
) -> None:
    first = Lease(chats, clock, elsewhere("first"), TICK)
    second = Lease(chats, clock, elsewhere("second"), TICK)
    async with first.holding() as held, second.holding() as also:
        assert (held, also) == (True, False)
        assert not await second.still_held()
    assert await second.take()
