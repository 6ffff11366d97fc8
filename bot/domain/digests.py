"""The digest a chat is owed: the passages under its watches, grouped and folded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from bot.domain.watches import Watch
from index.models import Citation, PlaceMention


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
