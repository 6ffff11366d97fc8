"""Reading times: ISO 8601 dates of articles, and time windows of questions ("7d")."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from index.errors import QueryError, SourceError


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 date or datetime as timezone-aware UTC; naive means UTC."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise SourceError(f"published must be an ISO 8601 string or null, not {value!r}")
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
        except ValueError as exc:
            raise SourceError(f"published is not an ISO 8601 date: {value!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime) -> datetime:
    """``7d``, ``24h``, ``2w``, ``90m`` back from ``now``, or an ISO 8601 date/time."""
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
