"""Counting the runs of a periodic job, so that a waiter can wait for runs, not for seconds."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


class Ticks:
    """How many runs of a job have finished; :meth:`wait` waits for more of them.

    The digest and feed jobs count their runs here. A test that needs "several ticks have
    happened" waits for them (``await ticks.wait(3)``) instead of sleeping and hoping.
    """

    def __init__(self) -> None:
        self.count = 0
        self._changed: asyncio.Condition | None = None

    def _condition(self) -> asyncio.Condition:
        # Made on first use, inside the loop that runs the job.
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def done(self) -> None:
        """One more run has finished."""
        self.count += 1
        changed = self._condition()
        async with changed:
            changed.notify_all()

    def wait(self, runs: int = 1, timeout: float = 30.0) -> Coroutine[Any, Any, int]:
        """Wait until ``runs`` more runs than now have finished; returns the count then.

        "Now" is the call, not the first await: a waiter made before some runs counts them.
        """
        return self._until(self.count + runs, timeout)

    async def _until(self, target: int, timeout: float) -> int:
        changed = self._condition()
        async with asyncio.timeout(timeout), changed:
            await changed.wait_for(lambda: self.count >= target)
        return self.count
