"""Building a chat's digest from its matches: grouped by watch, newest first, copies of one
story folded into one item."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np

from bot.domain.digests import Digest, DigestGroup, DigestItem, Match
from bot.domain.watches import Watch
from index.models import Citation
from index.search.ranking import shingles

_STORY_BLOCK = 1024  # passages per block of the copy search: 1024 x N floats at a time


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
