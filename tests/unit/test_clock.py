"""The one clock and the tick counter: what tests and jobs rely on instead of the wall clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.ticks import Ticks
from index.clock import ManualClock, SystemClock

START = datetime(2026, 3, 29, 0, 59, tzinfo=UTC)  # the minute before Europe's clocks go forward


def test_a_manual_clock_moves_only_when_told_and_never_back() -> None:
    clock = ManualClock(START.astimezone(timezone(timedelta(hours=2))))
    assert clock.now() == START and clock.now().tzinfo == UTC
    assert clock.advance(timedelta(minutes=2)) == START + timedelta(minutes=2)
    assert clock.monotonic() == 120.0
    with pytest.raises(ValueError, match="does not go back"):
        clock.set(START)
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(datetime(2026, 4, 1))


def test_the_system_clock_is_aware_utc() -> None:
    clock = SystemClock()
    assert clock.now().tzinfo == UTC
    assert clock.monotonic() <= clock.monotonic()


async def test_waiting_for_ticks_waits_for_runs_not_seconds() -> None:
    ticks = Ticks()
    waiter = asyncio.create_task(ticks.wait(3))
    for _ in range(2):
        await ticks.done()
    await asyncio.sleep(0)
    assert not waiter.done()  # two runs are not three
    await ticks.done()
    assert await waiter == 3


async def test_waiting_for_ticks_that_never_come_times_out() -> None:
    with pytest.raises(TimeoutError):
        await Ticks().wait(1, timeout=0.05)
