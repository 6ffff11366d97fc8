"""The retrieve step of a question: candidate passages, ranked, with copies of a story folded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from index.models import NothingFound, Passage, PlaceMention, StoredArticle
from index.places.resolve import PlaceIndex
from index.search.question import Question
from index.search.ranking import Scored, coverage, fuse, query_terms
from index.search.stories import fold_duplicates
from index.store import Store

Found = dict[int, tuple[Passage, StoredArticle]]
Encode = Callable[[list[str]], np.ndarray]
Search = Callable[[np.ndarray, int, np.ndarray | None], list[tuple[int, float]]]


@dataclass(frozen=True, slots=True)
class SearchConfig:
    """How questions are answered; the defaults come from settings."""

    top_k: int = 5
    max_k: int = 8
    dense_candidates: int = 50
    lexical_candidates: int = 50
    lexical_weight: float = 0.3
    lexical_max_share: float = 0.02
    threshold: float = 0.33
    max_question_chars: int = 500


@dataclass(frozen=True, slots=True)
class Retrieval:
    """What retrieval found: groups of (shown passage, folded copies), best first, with what
    is needed to cite them; or no groups and the reason why."""

    groups: list[tuple[int, list[int]]] = field(default_factory=list)
    scored: dict[int, Scored] = field(default_factory=dict)
    found: Found = field(default_factory=dict)
    mentions: dict[int, tuple[PlaceMention, ...]] = field(default_factory=dict)
    # passage id -> (km from the asked place, the geonameid that put it there)
    geo: dict[int, tuple[float, int]] | None = None
    reason: NothingFound | None = None
    best: float = 0.0  # the best relevance seen, for "nothing relevant"


class Retriever:
    """Finds and ranks the passages that answer a parsed question.

    ``encode`` embeds texts; ``search`` is the vector index's search, guarded by its owner.
    """

    def __init__(
        self,
        store: Store,
        places: PlaceIndex | None,
        config: SearchConfig,
        encode: Encode,
        search: Search,
    ) -> None:
        self.store = store
        self.places = places
        self.config = config
        self._encode = encode
        self._search = search

    def retrieve(self, question: Question) -> Retrieval:
        """Candidates near the asked place (or from the whole index), ranked and folded."""
        cfg, query, since = self.config, question.query, question.since
        place, radius = query.place, query.radius_km
        geo: dict[int, tuple[float, int]] | None = None
        allowed: np.ndarray | None = None
        if place is not None and self.places is not None:
            if query.region:
                geo = self.places.in_region(place, since)
            else:
                assert radius is not None
                geo = self.places.within(place, radius, since)
            if not geo:
                return Retrieval(reason=NothingFound.NOTHING_NEAR)
            allowed = np.fromiter(geo, dtype=np.int64, count=len(geo))
        elif since is not None:
            allowed = self.store.ids_since(since)
            if len(allowed) == 0:
                return Retrieval(reason=NothingFound.NOTHING_SINCE)
        terms = query_terms(question.topic)
        if geo is not None and not terms:
            order = self._by_time_and_distance(geo)
            found = self.store.citations(order[: cfg.dense_candidates])
            scored = [
                Scored(pid, 1.0 / (1.0 + geo[pid][0] / (radius or 50.0)), 1.0, 1.0, 0.0)
                for pid in order
                if pid in found
            ]
            vectors = self.store.vectors(list(found))
        else:
            # Near a place the whole question is embedded: "shelling in Bajmut" finds the
            # fighting around Bakhmut, where "shelling" alone matches almost nothing.
            dense_text = question.text if geo is not None else question.topic
            scored, found, vectors = self._rank(dense_text, terms, allowed, since)
            # Near a place, the place is the filter and the rest of the question only ranks:
            # every passage about the place's surroundings answers "what happened there".
            relevant = (
                scored if geo is not None else [s for s in scored if s.relevance >= cfg.threshold]
            )
            if not relevant:
                best = max((s.relevance for s in scored), default=0.0)
                return Retrieval(reason=NothingFound.NOTHING_RELEVANT, best=best)
            scored = relevant
            if geo is not None:
                when = _days(found)
                # among a few nearby passages, BM25 scaled by the best says little: rank by
                # the calibrated relevance, then the newer, then the nearer
                scored.sort(key=lambda s: (-round(s.relevance, 2), -when[s.id], geo[s.id][0]))
        groups = fold_duplicates(
            [s.id for s in scored],
            {pid: p.text for pid, (p, _) in found.items()},
            vectors,
            {pid: p.article_id for pid, (p, _) in found.items()},
            question.k,
        )
        shown = [pid for head, dups in groups for pid in (head, *dups)]
        mentions = self.places.mentions_of(shown, place) if self.places is not None else {}
        return Retrieval(groups, {s.id: s for s in scored}, found, mentions, geo)

    def _rank(
        self, topic: str, terms: list[str], allowed: np.ndarray | None, since: datetime | None
    ) -> tuple[list[Scored], Found, dict[int, np.ndarray]]:
        """Dense candidates for ``topic`` and lexical ones for ``terms``, among ``allowed``."""
        cfg = self.config
        qvec = self._encode([topic or " ".join(terms)])[0]
        dense = self._search(qvec, cfg.dense_candidates, allowed)
        among = None if allowed is None else [int(i) for i in allowed]
        # BM25 is there for the rare words MiniLM blurs (names, numbers); a word in many
        # passages ranks nothing and costs a scan of all of them, so it is left to the
        # dense score and to coverage.
        frequent = max(500, int(cfg.lexical_max_share * self.store.passage_count()))
        df = self.store.document_frequency(terms)
        rare = [t for t in terms if df[t] <= frequent]
        lexical = self.store.lexical(rare, cfg.lexical_candidates, since, among)
        found = self.store.citations(list({pid for pid, _ in dense} | {pid for pid, _ in lexical}))
        similarity = {pid: score for pid, score in dense}
        vectors = self.store.vectors(list(found))
        for pid in found:
            if pid not in similarity:
                similarity[pid] = float(vectors[pid] @ qvec)
        scored = fuse(
            {pid: similarity[pid] for pid in found},
            {pid: score for pid, score in lexical if pid in found},
            {pid: coverage(terms, found[pid][0].text) for pid in found},
            cfg.lexical_weight,
        )
        return scored, found, vectors

    def _by_time_and_distance(self, geo: dict[int, tuple[float, int]]) -> list[int]:
        """Passage ids newest day first, then nearest, then newest."""
        found = self.store.citations(list(geo))
        when = {pid: a.when for pid, (_, a) in found.items()}
        return sorted(
            found,
            key=lambda pid: (-when[pid].toordinal(), geo[pid][0], -when[pid].timestamp()),
        )


def _days(found: Found) -> dict[int, int]:
    """Each passage's publication day (ingestion day if undated), as an ordinal."""
    return {pid: a.when.toordinal() for pid, (_, a) in found.items()}
