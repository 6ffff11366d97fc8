"""Which new passages fall under which watches: distance to the watched point, keywords.

Pure functions over values; vectorised so that one tick over thousands of watches and
passages takes well under a second.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bot.domain.digests import Match
from bot.domain.watches import Watch
from index.folding import fold
from index.models import Citation, PlaceMention
from index.places.geo import EARTH_KM, haversine, unit_vectors

_PLACE_CHUNK = 512  # places per distance block: bounds memory at 512 x watches floats


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
    wxyz = unit_vectors(wlat, wlon)
    pxyz = unit_vectors(plat, plon)
    pair_place, pair_watch = [], []
    for start in range(0, len(places), _PLACE_CHUNK):
        dots = pxyz[start : start + _PLACE_CHUNK] @ wxyz.T
        rows, cols = np.nonzero(dots >= reach[None, :])
        pair_place.append(rows + start)
        pair_watch.append(cols)
    pp, pw = np.concatenate(pair_place), np.concatenate(pair_watch)
    pk = haversine(plat[pp], plon[pp], wlat[pw], wlon[pw])
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


class KeywordIndex:
    """The folded words of some passages, sorted, to find every passage holding a word that
    starts with a keyword by one binary search instead of a scan per (passage, watch).

    The keyword rule: a keyword matches where a word starts ("drone" finds "Drones", not
    "hydrone"), accents and case folded; a keyword of several words matches as a phrase.
    """

    def __init__(self, texts: Mapping[int, str]) -> None:
        where: dict[str, set[int]] = {}
        self.texts = {pid: fold(text) for pid, text in texts.items()}
        for pid, text in self.texts.items():
            for word in set(_WORDS.findall(text)):
                where.setdefault(word, set()).add(pid)
        self.words = sorted(where)
        self.where = where
        self._found: dict[str, frozenset[int]] = {}

    def passages_with_any(self, keywords: Sequence[str]) -> frozenset[int]:
        """Passages holding at least one of the keywords."""
        return frozenset().union(*(self.passages_with(k) for k in keywords))

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
    vocabulary = KeywordIndex({int(p): passages[int(p)].passage.text for p in np.unique(pid)})
    ok = np.zeros(len(watch), dtype=bool)
    order = np.argsort(watch, kind="stable")
    bounds = np.flatnonzero(np.diff(watch[order])) + 1
    for rows in np.split(order, bounds):
        hits = vocabulary.passages_with_any(watches[int(watch[rows[0]])].keywords)
        ok[rows] = [int(p) in hits for p in pid[rows]]
    return ok
