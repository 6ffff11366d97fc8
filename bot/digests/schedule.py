"""When a chat's daily digest is due: wall-clock time in the chat's timezone, DST included."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.watches import ChatSettings


def last_due(chat: ChatSettings, now: datetime) -> datetime:
    """The latest moment at or before ``now`` when the chat's daily digest was scheduled.

    The digest time is wall-clock time in the chat's timezone. On the day clocks go forward
    a time that does not exist (02:30) falls an hour later; on the day they go back a time
    that happens twice counts once, at its first occurrence.
    """
    zone = ZoneInfo(chat.timezone)
    local_day = now.astimezone(zone).date()
    for day in (local_day, local_day - timedelta(days=1), local_day - timedelta(days=2)):
        at = _scheduled(day, chat, zone)
        if at <= now:
            return at
    raise AssertionError("a daily time is always due within two days")  # pragma: no cover


def _scheduled(day: date, chat: ChatSettings, zone: ZoneInfo) -> datetime:
    local = datetime.combine(day, chat.digest_time, tzinfo=zone)
    return local.astimezone(UTC)


def is_due(chat: ChatSettings, now: datetime) -> bool:
    """Whether a daily-digest chat should get its digest now: its time has come since the
    last one (or since the chat started, so a new chat does not get one at once)."""
    since = chat.last_digest_at or chat.created_at
    return since is None or since < last_due(chat, now)


def next_due(chat: ChatSettings, now: datetime) -> datetime:
    """When the chat's next daily digest is scheduled (for /settings)."""
    zone = ZoneInfo(chat.timezone)
    local_day = now.astimezone(zone).date()
    for offset in range(3):
        at = _scheduled(local_day + timedelta(days=offset), chat, zone)
        if at > now:
            return at
    raise AssertionError("a daily time always comes within two days")  # pragma: no cover
