"""Digests as pure functions: which new passages match which watches, grouped and folded,
and when a chat's daily digest is due."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from bot.chats import ChatSettings, Watch
from index.gazetteer import haversine_matrix
from index.models import Citation, PlaceMention
from index.ranking import fold_duplicates
from index.translit import fold

_PLACE_CHUNK = 512  # places per distance block: bounds memory at 512 x watches floats


@dataclass(frozen=True, slots=True)
class Match:
    """A passage that falls under a watch, and the mention that put it there."""

    passage_id: int
    watch: Watch
    mention: PlaceMention  # distance_km is the distance from the watched point


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One story in a digest: the newest passage, the copies folded into it, and why."""

    citation: Citation
    duplicates: tuple[Citation, ...]
    mention: PlaceMention

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


def keyword_match(text: str, keywords: Sequence[str]) -> bool:
    """Whether ``text`` holds any keyword as a word or word start ("drone" finds "drones")."""
    if not keywords:
        return True
    folded = fold(text)
    return any(re.search(rf"\b{re.escape(fold(k))}", folded) for k in keywords)


def match_watches(
    watches: Sequence[Watch], passages: Mapping[int, Citation]
) -> dict[int, list[Match]]:
    """For every chat, the passages that mention a place within one of its watches' radius.

    A passage under several watches of one chat is matched once, to its nearest watch.
    Distances are computed once per distinct (place, watch) pair, in vectorised blocks.
    """
    if not watches or not passages:
        return {}
    places: dict[int, list[tuple[int, PlaceMention]]] = {}
    for pid, citation in passages.items():
        for m in citation.places:
            places.setdefault(m.place.geonameid, []).append((pid, m))
    gids = list(places)
    first = {gid: places[gid][0][1].place for gid in gids}
    plat = np.array([first[g].lat for g in gids])
    plon = np.array([first[g].lon for g in gids])
    wlat = np.array([w.lat for w in watches])
    wlon = np.array([w.lon for w in watches])
    radius = np.array([w.radius_km for w in watches])
    best: dict[tuple[int, int], Match] = {}
    kw_cache: dict[tuple[int, int], bool] = {}
    for start in range(0, len(gids), _PLACE_CHUNK):
        km = haversine_matrix(
            plat[start : start + _PLACE_CHUNK], plon[start : start + _PLACE_CHUNK], wlat, wlon
        )
        for row, col in zip(*np.nonzero(km <= radius[None, :]), strict=True):
            watch, d = watches[int(col)], round(float(km[row, col]), 1)
            for pid, m in places[gids[start + int(row)]]:
                if pid <= watch.after_passage:
                    continue
                if watch.keywords:
                    key = (pid, watch.id)
                    if key not in kw_cache:
                        kw_cache[key] = keyword_match(passages[pid].passage.text, watch.keywords)
                    if not kw_cache[key]:
                        continue
                slot = (watch.chat_id, pid)
                held = best.get(slot)
                if held is None or d < (held.mention.distance_km or 0.0):
                    best[slot] = Match(pid, watch, _at(m, d))
    out: dict[int, list[Match]] = {}
    for (chat_id, _), match in best.items():
        out.setdefault(chat_id, []).append(match)
    return out


def _at(m: PlaceMention, km: float) -> PlaceMention:
    return PlaceMention(m.place, m.surface, m.start, m.end, m.match, m.confidence, km)


def _when(c: Citation) -> datetime:
    return c.article.published or c.article.ingested_at


def build_digest(
    chat_id: int,
    matches: Sequence[Match],
    passages: Mapping[int, Citation],
    vectors: Mapping[int, np.ndarray],
    delivered: set[int] | frozenset[int] = frozenset(),
    after: int = 0,
) -> Digest:
    """A chat's digest from its matches: passages after ``after`` not yet delivered, grouped
    by watch (in the order the watches were made), newest first, copies of one story folded.
    """
    by_watch: dict[int, list[Match]] = {}
    watches: dict[int, Watch] = {}
    for match in matches:
        if match.passage_id > after and match.passage_id not in delivered:
            by_watch.setdefault(match.watch.id, []).append(match)
            watches[match.watch.id] = match.watch
    groups = []
    for watch_id in sorted(by_watch):
        found = {m.passage_id: m for m in by_watch[watch_id]}
        ordered = sorted(found, key=lambda pid: (_when(passages[pid]), pid), reverse=True)
        folded = fold_duplicates(
            ordered,
            {pid: passages[pid].passage.text for pid in ordered},
            vectors,
            {pid: passages[pid].article.id for pid in ordered},
            limit=len(ordered),
        )
        items = tuple(
            DigestItem(
                passages[head],
                tuple(passages[d] for d in dups),
                found[head].mention,
            )
            for head, dups in folded
        )
        groups.append(DigestGroup(watches[watch_id], items))
    return Digest(chat_id, tuple(groups))


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
