"""Building a chat's digest from its matches: grouped by watch, newest first, copies of one
story folded into one item."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.domain.digests import Digest, DigestGroup, DigestItem, Match
from bot.domain.watches import Watch
from index.models import Citation


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
    :func:`index.search.stories.stories`) folded into one item that cites them all.
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
            key=lambda m: (passages[m.passage_id].article.when, m.passage_id),
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
