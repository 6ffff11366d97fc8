"""The one source of time: ``now()`` for domain time (aware UTC), ``monotonic()`` for durations.

Built once in the composition root and passed to everything that reads the time, so tests can
set it and the suite passes whatever the wall clock says.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What reads the time."""

    def now(self) -> datetime:
        """The current moment, timezone-aware UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, for measuring durations."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The current moment, timezone-aware UTC."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told to: for tests and reproducible runs.

    ``monotonic()`` moves with ``now()``, so durations measured on it are the set ones.
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a clock's time is timezone-aware")
        self._now = start.astimezone(UTC)
        self._origin = self._now
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The set moment."""
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        """Seconds since the clock was made (in set time)."""
        with self._lock:
            return (self._now - self._origin).total_seconds()

    def set(self, when: datetime) -> None:
        """Move to ``when`` (aware); it may not go back, as real time does not."""
        if when.tzinfo is None:
            raise ValueError("a clock's time is timezone-aware")
        with self._lock:
            if when < self._now:
                raise ValueError(f"time does not go back: {when} is before {self._now}")
            self._now = when.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta``; returns the new moment."""
        self.set(self.now() + delta)
        return self.now()
