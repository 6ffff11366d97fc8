"""The digest lease: one sender at a time; a dead holder's lease passes on within two ticks,
at once when its process is provably gone; a live holder keeps it as long as it renews."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.digests.lease import Holder, Lease, this_process
from bot.storage.chats import ChatStore
from conftest import PROJECT
from index.clock import ManualClock

TICK = timedelta(seconds=60)
SECOND = timedelta(seconds=1)
LINUX_PROC = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="a holder's process is looked up in /proc"
)


@pytest.fixture
def chats(tmp_path: Path) -> Iterator[ChatStore]:
    store = ChatStore(tmp_path / "sitrep.sqlite3")
    yield store
    store.close()


def elsewhere(token: str) -> Holder:
    """A sender on another machine: nothing can prove it dead, only its lease's end."""
    return Holder("other-host", "boot", "pid:[1]", 4242, "777", token)


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
    first = Lease(chats, clock, this_process("first"), TICK)
    second = Lease(chats, clock, this_process("second"), TICK)
    async with first.holding() as held, second.holding() as also:
        assert (held, also) == (True, False)  # alive: it is not taken from a live process
        assert not await second.still_held()
    assert await second.take()


def holder_of_a_process_that_ends() -> tuple[Holder, subprocess.Popen[str]]:
    """The lease holder a child process would be, and the child; it has exited (waited
    for, not reaped: a zombie until the caller reaps it)."""
    code = "from bot.digests.lease import this_process; print(this_process('gone'))"
    child = subprocess.Popen(
        [sys.executable, "-c", code], cwd=PROJECT, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    with child.stdout:
        holder = Holder.parse(child.stdout.read().strip())
    assert holder is not None and holder.pid == child.pid
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
    return holder, child


@LINUX_PROC
async def test_a_holder_proven_dead_is_replaced_at_once(
    chats: ChatStore, clock: ManualClock
) -> None:
    holder, child = holder_of_a_process_that_ends()
    successor = Lease(chats, clock, this_process("successor"), TICK)
    assert chats.take_lease(str(holder), clock.now(), TICK)
    assert holder.proven_dead()  # a zombie: exited, not yet reaped
    child.wait()
    assert holder.proven_dead()  # gone
    assert await successor.take()  # at once, long before its lease would run out


@LINUX_PROC
def test_only_a_process_that_is_provably_gone_counts_as_dead() -> None:
    here = this_process("here")
    assert not here.proven_dead()  # this very process: alive
    reused = dataclasses.replace(here, started=str(int(here.started) + 1))
    assert reused.proven_dead()  # the pid now belongs to another process
    assert not elsewhere("x").proven_dead()  # another machine: cannot know
    other_container = dataclasses.replace(reused, namespace="pid:[99]")
    assert not other_container.proven_dead()  # its pids are not ours to look up
    assert Holder.parse("a host:123:7f00") is None  # a name from before: only expiry frees it
    assert Holder.parse(str(here)) == here
