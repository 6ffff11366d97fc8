"""The domain of watches and digests: what a chat watches, its digest settings, and the
digest it is owed. Plain values; storage and front ends convert to and from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import NamedTuple

from index.models import Citation, PlaceMention

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


class Match(NamedTuple):
    """A passage that falls under a watch, and the mention that put it there. (Tuples, not
    dataclasses: a busy tick makes hundreds of thousands of these.)"""

    passage_id: int
    watch: Watch
    mention: PlaceMention
    distance_km: float  # from the watched point


class DigestItem(NamedTuple):
    """One story in a digest: the newest passage, the copies folded into it, and why."""

    citation: Citation
    duplicates: tuple[Citation, ...]
    mention: PlaceMention  # the place that put it in the digest
    distance_km: float  # of that place from the watched point

    @property
    def passage_ids(self) -> tuple[int, ...]:
        """Every passage this item delivers (the shown one and its folded copies)."""
        return (self.citation.passage.id, *(d.passage.id for d in self.duplicates))


@dataclass(frozen=True, slots=True)
class DigestGroup:
    """The items of one watched place, newest first."""

    watch: Watch
    items: tuple[DigestItem, ...]


@dataclass(frozen=True, slots=True)
class Digest:
    """What a chat is sent: groups by watch; empty when nothing new matched."""

    chat_id: int
    groups: tuple[DigestGroup, ...]

    @property
    def items(self) -> list[DigestItem]:
        """Every item, in display order."""
        return [item for group in self.groups for item in group.items]

    @property
    def passage_ids(self) -> list[int]:
        """Every passage the digest delivers."""
        return [pid for item in self.items for pid in item.passage_ids]
