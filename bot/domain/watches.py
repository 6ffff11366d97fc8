"""What a chat watches, and its digest settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

DEFAULT_DIGEST_TIME = time(8, 0)


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """A chat's digest settings and where its digests stand."""

    chat_id: int
    digest_time: time = DEFAULT_DIGEST_TIME
    timezone: str = "UTC"
    instant: bool = False
    blocked: bool = False
    cursor: int = 0
    last_digest_at: datetime | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Watch:
    """A point and radius a chat watches, resolved once, with optional keywords."""

    id: int
    chat_id: int
    name: str
    label: str
    lat: float
    lon: float
    radius_km: float
    keywords: tuple[str, ...] = ()
    geonameid: int | None = None
    after_passage: int = 0

    @property
    def title(self) -> str:
        """ "Bakhmut, 20 km (drones)": how the chat sees the watch."""
        words = f" ({', '.join(self.keywords)})" if self.keywords else ""
        return f"{self.name}, {self.radius_km:g} km{words}"
