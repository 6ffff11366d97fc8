"""Understand the options of a question: the time window (``--since 7d``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from index.errors import QueryError, SourceError
from index.sources import parse_time

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``7d``, ``24h``, ``2w``, ``90m`` back from ``now``, or an ISO 8601 date/time."""
    now = now or datetime.now(UTC)
    m = _DURATION.match(text)
    if m:
        amount, unit = float(m.group(1)), _UNITS[m.group(2).lower()]
        return now - timedelta(**{unit: amount})
    try:
        moment = parse_time(text)
    except SourceError:
        moment = None
    if moment is None:
        raise QueryError(
            f"cannot read the time window {text!r}: use 7d, 24h, 2w, 90m or a date like 2026-11-01"
        )
    return moment
