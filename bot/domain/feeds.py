"""A followed feed, and what one poll of it did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from index.models import IngestFailure


@dataclass(frozen=True, slots=True)
class Feed:
    """A followed feed and how its polling goes."""

    url: str
    origin: str  # "config" or "chat"
    added_by: int | None
    etag: str | None
    last_modified: str | None
    last_polled: datetime | None
    next_poll: datetime | None
    failures: int
    last_error: str | None
    articles: int


class PollStatus(StrEnum):
    """What one poll of a feed found."""

    NEW = "new"
    NOT_MODIFIED = "not modified"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """One feed's poll: new articles (``summary_only`` of them stored as their feed's summary,
    their page failed), nothing changed, or why it failed."""

    url: str
    status: PollStatus
    added: int = 0
    error: str | None = None
    summary_only: tuple[IngestFailure, ...] = ()
