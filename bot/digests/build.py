"""Digests as pure functions: which new passages match which watches, grouped and folded,
and when a chat's daily digest is due."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import numpy as np

from bot.storage.chats import ChatSettings, Watch
from index.models import Citation, PlaceMention
from index.places.translit import fold
from index.search.ranking import shingles

_STORY_BLOCK = 1024  # passages per block of the copy search: 1024 x N floats at a time
_PLACE_CHUNK = 512  # places per distance block: bounds memory at 512 x watches floats


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


def keyword_match(text: str, keywords: Sequence[str]) -> bool:
    """Whether ``text`` holds any keyword as a word or word start ("drone" finds "drones")."""
    if not keywords:
        return True
    folded = fold(text)
    return any(_word_start(fold(k)).search(folded) for k in keywords)


def _word_start(folded_keyword: str) -> re.Pattern[str]:
    """The one keyword rule: the (folded) keyword where a word starts."""
    return re.compile(rf"\b{re.escape(folded_keyword)}")


@dataclass(frozen=True)
class Matches:
    """Every (chat, passage) pair under some watch, as arrays sorted by chat; a chat's
    :class:`Match` objects are made only when its digest is built."""

    chat: np.ndarray  # int64 chat ids, sorted
    passage: np.ndarray  # int64 passage ids
    watch: np.ndarray  # index into ``watches``
    mention: np.ndarray  # index into ``mentions``
    km: np.ndarray
    watches: Sequence[Watch]
    mentions: Sequence[PlaceMention]

    def __len__(self) -> int:
        return len(self.chat)

    def chats(self) -> list[int]:
        """Chats with at least one match."""
        return [int(c) for c in np.unique(self.chat)]

    def of(self, chat_id: int) -> list[Match]:
        """The matches of one chat."""
        lo, hi = (int(i) for i in np.searchsorted(self.chat, [chat_id, chat_id + 1]))
        watches, mentions = self.watches, self.mentions
        return [
            Match(p, watches[w], mentions[m], k)
            for p, w, m, k in zip(
                self.passage[lo:hi].tolist(),
                self.watch[lo:hi].tolist(),
                self.mention[lo:hi].tolist(),
                np.round(self.km[lo:hi], 1).tolist(),
                strict=True,
            )
        ]


def match_watches(watches: Sequence[Watch], passages: Mapping[int, Citation]) -> Matches:
    """The passages that mention a place within a watch's radius, for every chat at once.

    A passage under several watches of one chat is matched once, to its nearest watch.
    Distances are computed once per distinct (place, watch) pair, in vectorised blocks, and
    the pairs are expanded to mentions and reduced per (chat, passage) with NumPy; only the
    keyword test of watches that have keywords runs per pair in Python.
    """
    mentions: list[PlaceMention] = []
    owner: list[int] = []
    for passage_id, citation in passages.items():
        for m in citation.places:
            mentions.append(m)
            owner.append(passage_id)
    empty = np.zeros(0, dtype=np.int64)
    if not watches or not mentions:
        return Matches(empty, empty, empty, empty, np.zeros(0), watches, mentions)
    gids = np.array([m.place.geonameid for m in mentions], dtype=np.int64)
    places, first, place_of = np.unique(gids, return_index=True, return_inverse=True)
    plat = np.array([mentions[i].place.lat for i in first])
    plon = np.array([mentions[i].place.lon for i in first])
    wlat = np.array([w.lat for w in watches])
    wlon = np.array([w.lon for w in watches])
    radius = np.array([w.radius_km for w in watches])
    # Within the radius <=> the unit vectors' dot product is at least cos(radius / R): one
    # matrix product per block finds the pairs, and only those get an exact distance.
    reach = np.cos(np.minimum(radius / EARTH_KM, np.pi)) - 1e-12
    wxyz = _unit(wlat, wlon)
    pxyz = _unit(plat, plon)
    pair_place, pair_watch = [], []
    for start in range(0, len(places), _PLACE_CHUNK):
        dots = pxyz[start : start + _PLACE_CHUNK] @ wxyz.T
        rows, cols = np.nonzero(dots >= reach[None, :])
        pair_place.append(rows + start)
        pair_watch.append(cols)
    pp, pw = np.concatenate(pair_place), np.concatenate(pair_watch)
    pk = _haversine(plat[pp], plon[pp], wlat[pw], wlon[pw])
    inside = pk <= radius[pw]
    pp, pw, pk = pp[inside], pw[inside], pk[inside]
    # Expand (place, watch) pairs to (mention, watch): mentions grouped by place.
    order = np.argsort(place_of, kind="stable")
    counts = np.bincount(place_of, minlength=len(places))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    per_pair = counts[pp]
    total = int(per_pair.sum())
    pair = np.repeat(np.arange(len(pp)), per_pair)
    offset = np.arange(total) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
    mention = order[starts[pp][pair] + offset]
    watch = pw[pair]
    km = pk[pair]
    pid = np.asarray(owner, dtype=np.int64)[mention]
    after = np.array([w.after_passage for w in watches], dtype=np.int64)
    keep = pid > after[watch]
    keyed = np.array([bool(w.keywords) for w in watches])
    rows = np.flatnonzero(keep & keyed[watch])
    if len(rows):
        keep[rows] = _keywords_hold(watches, passages, watch[rows], pid[rows])
    mention, watch, km, pid = mention[keep], watch[keep], km[keep], pid[keep]
    chat = np.array([w.chat_id for w in watches], dtype=np.int64)[watch]
    # Nearest watch per (chat, passage): sort by chat, passage, distance; keep the first.
    order = np.lexsort((km, pid, chat))
    chat, pid, watch, mention, km = (a[order] for a in (chat, pid, watch, mention, km))
    first_of = np.ones(len(chat), dtype=bool)
    first_of[1:] = (chat[1:] != chat[:-1]) | (pid[1:] != pid[:-1])
    return Matches(
        chat[first_of],
        pid[first_of],
        watch[first_of],
        mention[first_of],
        km[first_of],
        watches,
        mentions,
    )


class _Vocabulary:
    """The folded words of some passages, sorted, to find every passage holding a word that
    starts with a keyword by one binary search instead of a scan per (passage, watch)."""

    def __init__(self, texts: Mapping[int, str]) -> None:
        where: dict[str, set[int]] = {}
        self.texts = {pid: fold(text) for pid, text in texts.items()}
        for pid, text in self.texts.items():
            for word in set(_WORDS.findall(text)):
                where.setdefault(word, set()).add(pid)
        self.words = sorted(where)
        self.where = where
        self._found: dict[str, frozenset[int]] = {}

    def passages_with(self, keyword: str) -> frozenset[int]:
        """Passages with a word starting with ``keyword`` (a phrase: containing it)."""
        key = fold(keyword)
        if key not in self._found:
            if " " in key or not _WORDS.fullmatch(key):
                pattern = _word_start(key)
                found = {pid for pid, text in self.texts.items() if pattern.search(text)}
            else:
                found = set()
                for i in range(bisect_left(self.words, key), len(self.words)):
                    if not self.words[i].startswith(key):
                        break
                    found |= self.where[self.words[i]]
            self._found[key] = frozenset(found)
        return self._found[key]


_WORDS = re.compile(r"\w+")


def _keywords_hold(
    watches: Sequence[Watch],
    passages: Mapping[int, Citation],
    watch: np.ndarray,
    pid: np.ndarray,
) -> np.ndarray:
    """For (watch, passage) rows of watches with keywords: whether a keyword is in the text."""
    vocabulary = _Vocabulary({int(p): passages[int(p)].passage.text for p in np.unique(pid)})
    ok = np.zeros(len(watch), dtype=bool)
    order = np.argsort(watch, kind="stable")
    bounds = np.flatnonzero(np.diff(watch[order])) + 1
    for rows in np.split(order, bounds):
        hits = frozenset().union(
            *(vocabulary.passages_with(k) for k in watches[int(watch[rows[0]])].keywords)
        )
        ok[rows] = [int(p) in hits for p in pid[rows]]
    return ok


EARTH_KM = 6371.0088


def _unit(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the unit sphere, one row per (lat, lon)."""
    phi, lam = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], axis=1)


def _haversine(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Great-circle km between paired points (the gazetteer's formula, element-wise)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    return np.asarray(2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def _when(c: Citation) -> datetime:
    return c.article.published or c.article.ingested_at


def stories(
    passages: Mapping[int, Citation],
    vectors: Mapping[int, np.ndarray],
    jaccard: float = 0.5,
    cosine: float = 0.97,
) -> dict[int, int]:
    """passage id -> the id of the first passage of its story: copies of one wire text from
    different articles (shared word 4-grams, or nearly identical vectors) share a story.

    Computed once per digest run for all new passages; candidates come from an inverted
    index of 4-grams and one matrix product of the vectors, not from comparing every pair.
    """
    ids = sorted(passages)
    grams = {pid: shingles(passages[pid].passage.text) for pid in ids}
    by_gram: dict[str, list[int]] = {}
    story: dict[int, int] = {}
    near: dict[int, set[int]] = {}
    with_vec = [pid for pid in ids if pid in vectors]
    if len(with_vec) > 1:
        matrix = np.stack([vectors[pid] for pid in with_vec])
        # In blocks of rows: a backlog of many thousand passages never needs an N x N matrix.
        for start in range(0, len(with_vec), _STORY_BLOCK):
            block = matrix[start : start + _STORY_BLOCK] @ matrix.T
            rows, cols = np.nonzero(block >= cosine)
            for r, c in zip((rows + start).tolist(), cols.tolist(), strict=True):
                if r < c:  # r is the earlier passage
                    near.setdefault(with_vec[c], set()).add(with_vec[r])
    for pid in ids:
        article = passages[pid].article.id
        shared: dict[int, int] = {}
        for g in grams[pid]:
            for head in by_gram.get(g, ()):
                shared[head] = shared.get(head, 0) + 1
        found = None
        for head in sorted(set(shared) | {story[p] for p in near.get(pid, ()) if p in story}):
            if passages[head].article.id == article:
                continue
            union = len(grams[pid]) + len(grams[head]) - shared.get(head, 0)
            similar = union and shared.get(head, 0) / union >= jaccard
            if similar or any(story.get(p) == head for p in near.get(pid, ())):
                found = head
                break
        if found is None:
            story[pid] = pid
            for g in grams[pid]:
                by_gram.setdefault(g, []).append(pid)
        else:
            story[pid] = found
    return story


def build_digest(
    chat_id: int,
    matches: Sequence[Match],
    passages: Mapping[int, Citation],
    story: Mapping[int, int],
    delivered: set[int] | frozenset[int] = frozenset(),
    after: int = 0,
) -> Digest:
    """A chat's digest from its matches: passages after ``after`` not yet delivered, grouped
    by watch (in the order the watches were made), newest first, copies of one story (see
    :func:`stories`) folded into one item that cites them all.
    """
    by_watch: dict[int, list[Match]] = {}
    watches: dict[int, Watch] = {}
    for match in matches:
        if match.passage_id > after and match.passage_id not in delivered:
            by_watch.setdefault(match.watch.id, []).append(match)
            watches[match.watch.id] = match.watch
    groups = []
    for watch_id in sorted(by_watch):
        found = sorted(
            by_watch[watch_id],
            key=lambda m: (_when(passages[m.passage_id]), m.passage_id),
            reverse=True,
        )
        heads: dict[int, list[Match]] = {}
        for m in found:  # newest first: a story's newest copy is shown, the rest cited
            heads.setdefault(story.get(m.passage_id, m.passage_id), []).append(m)
        items = tuple(
            DigestItem(
                passages[group[0].passage_id],
                tuple([passages[c.passage_id] for c in group[1:]]) if len(group) > 1 else (),
                group[0].mention,
                group[0].distance_km,
            )
            for group in heads.values()
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
