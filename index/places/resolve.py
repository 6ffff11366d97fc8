"""The place layer of the knowledge base: geoparse articles, find passages near a place."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Sequence
from datetime import datetime

import numpy as np

from index.models import Place, PlaceMention
from index.places.areas import countries_of
from index.places.gazetteer import Gazetteer
from index.places.geo import haversine_km, haversine_matrix
from index.places.geoparse import ContextPoint, find_places
from index.places.query import PlaceQuery, parse_place_query
from index.store import Store

log = logging.getLogger(__name__)

_HOT_PLACES = 50  # places the corpus reports on most: the context for new articles
_HALF_LIFE_DAYS = 14.0  # a report this old counts half as much as one of today


class PlaceIndex:
    """Place mentions of stored passages, kept in step with the gazetteer, and radius search.

    Positions of every mentioned place are held in NumPy arrays (rebuilt when mentions
    change); a radius query is one vectorised haversine over them, then an indexed lookup
    of the passages that name the places found.
    """

    def __init__(
        self,
        store: Store,
        gazetteer: Callable[[], Gazetteer],
        min_confidence: float = 0.5,
        default_radius_km: float = 15.0,
        in_radius_km: float = 5.0,
    ) -> None:
        self.store = store
        self._factory = gazetteer
        self._gazetteer: Gazetteer | None = None
        self.min_confidence = min_confidence
        self.default_radius_km = default_radius_km
        self.in_radius_km = in_radius_km
        self._lock = threading.RLock()
        self._points_version: tuple[int, int] | None = None
        self._places: list[tuple[Place, int]] = []
        self._lat = np.zeros(0)
        self._lon = np.zeros(0)

    @property
    def gazetteer(self) -> Gazetteer:
        """The gazetteer, loaded on first use."""
        with self._lock:
            if self._gazetteer is None:
                self._gazetteer = self._factory()
            return self._gazetteer

    def reload(self) -> None:
        """Forget the loaded gazetteer (after ``gazetteer load``) and re-geoparse the store."""
        with self._lock:
            self._gazetteer = None
        self.ensure_current(force=True)

    def ensure_current(self, force: bool = False) -> int:
        """Re-geoparse every stored article if the gazetteer changed since it was parsed.

        Returns the number of articles parsed again.
        """
        gaz = self.gazetteer
        if not force and self.store.get_meta("places_fingerprint") == gaz.fingerprint:
            return 0
        count = 0
        context = self.hot_context()
        for article_id, text in self.store.iter_articles():
            self.store.replace_mentions(article_id, self.mentions(text, context))
            count += 1
        self.store.set_meta("places_fingerprint", gaz.fingerprint)
        if count:
            log.warning("re-read the places of %d stored articles (the gazetteer changed)", count)
        return count

    def mentions(self, text: str, context: Sequence[ContextPoint] = ()) -> list[PlaceMention]:
        """The resolved place mentions of a text."""
        return [
            PlaceMention(m.place, m.surface, m.start, m.end, m.match, m.confidence)
            for m in find_places(text, self.gazetteer, context, self.min_confidence)
            if m.place is not None
        ]

    def _load_points(self) -> None:
        version = self.store.mention_version()
        if version != self._points_version:
            # areas (regions, countries) have no radius: only towns stand at their points
            self._places = [(p, n) for p, n in self.store.mentioned_places() if not p.is_area]
            self._lat = np.array([p.lat for p, _ in self._places], dtype=np.float64)
            self._lon = np.array([p.lon for p, _ in self._places], dtype=np.float64)
            self._points_version = version

    def hot_context(self, limit: int = _HOT_PLACES) -> list[ContextPoint]:
        """The places the corpus names most, weighted by how often (for new articles)."""
        with self._lock:
            self._load_points()
            top = sorted(self._places, key=lambda t: -t[1])[:limit]
        if not top:
            return []
        most = max(n for _, n in top)
        return [ContextPoint(p.lat, p.lon, n / most) for p, n in top]

    def question_context(self) -> list[ContextPoint]:
        """Every place the corpus names: a question most likely asks about one of them."""
        with self._lock:
            self._load_points()
            places = list(self._places)
        if not places:
            return []
        most = math.log1p(max(n for _, n in places))
        return [ContextPoint(p.lat, p.lon, 0.5 + 0.5 * math.log1p(n) / most) for p, n in places]

    def parse(
        self,
        question: str,
        near: str | None,
        radius_km: float | None,
        now: datetime | None = None,
    ) -> PlaceQuery:
        """The place, radius and topic of a question; of the places its name may mean, the
        one the corpus reports on (the recent reports, as of ``now``, counting more)."""
        return parse_place_query(
            question,
            self.gazetteer,
            self.question_context(),
            self.default_radius_km,
            self.in_radius_km,
            near,
            radius_km,
            evidence=lambda place, km: self.evidence(place, km, now),
            in_text=self.store.text_names,
        )

    def evidence(
        self, origin: Place, radius_km: float, now: datetime | None = None
    ) -> tuple[int, float]:
        """How much the corpus reports within ``radius_km`` of ``origin``: the passages that
        name a place there with at least the index's confidence, and the same count with
        each report weighted by its age as of ``now`` (halved every two weeks)."""
        with self._lock:
            self._load_points()
            if not len(self._lat):
                return 0, 0.0
            km = haversine_matrix(
                np.array([origin.lat]), np.array([origin.lon]), self._lat, self._lon
            )[0]
            near = [self._places[i][0].geonameid for i in np.flatnonzero(km <= radius_km)]
        reports = self.store.reports_naming(near, self.min_confidence)
        if now is None:
            return len(reports), float(len(reports))
        weight = sum(
            0.5 ** (max(0.0, (now - when).total_seconds()) / 86_400 / _HALF_LIFE_DAYS)
            for _, when in reports
        )
        return len(reports), round(weight, 4)

    def within(
        self, origin: Place, radius_km: float, since: datetime | None = None
    ) -> dict[int, tuple[float, int]]:
        """Passages naming a place within ``radius_km`` of ``origin``: id -> (km, geonameid)."""
        with self._lock:
            self._load_points()
            if not len(self._lat):
                return {}
            km = haversine_matrix(
                np.array([origin.lat]), np.array([origin.lon]), self._lat, self._lon
            )[0]
            near = {
                self._places[i][0].geonameid: float(km[i]) for i in np.flatnonzero(km <= radius_km)
            }
        out: dict[int, tuple[float, int]] = {}
        for pid, gid in self.store.passages_naming(list(near), since):
            d = near[gid]
            if pid not in out or d < out[pid][0]:
                out[pid] = (d, gid)
        return out

    def in_region(
        self, origin: Place, since: datetime | None = None
    ) -> dict[int, tuple[float, int]]:
        """Passages naming a place in ``origin``'s region, or inside ``origin`` when it is a
        region, country or continent: id -> (km from origin, geonameid)."""
        with self._lock:
            self._load_points()
            where = {p.geonameid: p for p, _ in self._places}
        out: dict[int, tuple[float, int]] = {}
        if origin.kind == "country":
            found = self.store.passages_in_countries([origin.country], since)
        elif origin.kind == "continent":
            found = self.store.passages_in_countries(countries_of(origin.admin1), since)
        else:
            found = self.store.passages_in_region(origin.country, origin.admin1, since)
        for pid, gid in found:
            p = where.get(gid)
            d = haversine_km(origin.lat, origin.lon, p.lat, p.lon) if p else 0.0
            if pid not in out or d < out[pid][0]:
                out[pid] = (d, gid)
        return out

    def mentions_of(
        self, passage_ids: Sequence[int], origin: Place | None
    ) -> dict[int, tuple[PlaceMention, ...]]:
        """Stored mentions of passages, with their distance from ``origin`` when given."""
        out = {}
        for pid, found in self.store.mentions(passage_ids).items():
            if origin is not None:
                found = [
                    PlaceMention(
                        m.place,
                        m.surface,
                        m.start,
                        m.end,
                        m.match,
                        m.confidence,
                        round(haversine_km(origin.lat, origin.lon, m.place.lat, m.place.lon), 1),
                    )
                    for m in found
                ]
            out[pid] = tuple(found)
        return out
