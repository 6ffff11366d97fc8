"""The loaded gazetteer: places looked up by name in any spelling, by id, and by position."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from index.folding import fold
from index.models import Place
from index.places.cache import MIN_KEY, GazetteerFiles, cached_tables, code_key, region_key
from index.places.geo import haversine_matrix
from index.places.translit import consonant_key, has_abjad, has_cyrillic, skeleton, stem

_LETTERS = re.compile(r"[^\W\d_]+")  # a word: demonyms are written as one
_ADJECTIVE_ENDINGS = frozenset({"i", "oi", "oho", "ohi", "omu"})
# Match kinds that spell one of the place's names, inflections and guesses aside.
STRONG_MATCHES = frozenset({"exact", "alternate", "transliteration", "script"})
# A common word ("Moscow" is one in English) still names a place this large.
_COMMON_WORD_PLACE_POPULATION = 50_000
# Surfaces each memo keeps (the least recently used go first).
_MEMO_SIZE = 50_000


@dataclass(frozen=True, slots=True)
class Candidate:
    """A place a surface may mean, and how the surface matched one of its names."""

    place: Place
    match: str  # exact | alternate | transliteration | script | inflection | fuzzy | demonym
    distance: int = 0  # edit distance of a fuzzy match
    # a town named like a frequent word ("Paris", Texas): only where the text names its region
    needs_region: bool = False

    @property
    def big(self) -> bool:
        """A match by name, not a guess or a case ending, of a place a common word still
        names ("Станом", as of, is no inflection of Stakhanov)."""
        return (
            self.match in STRONG_MATCHES and self.place.population >= _COMMON_WORD_PLACE_POPULATION
        )


class Gazetteer:
    """Lookup of place names in any spelling; built by :func:`load_gazetteer`."""

    def __init__(self, data: dict[str, Any]) -> None:
        cols = data["places"]
        self.scope: tuple[str, ...] = tuple(data["scope"])
        self.fingerprint: str = data["fingerprint"]
        self.places = [
            Place(gid, name, lat, lon, cc, a1, pop, kind)
            for gid, name, lat, lon, cc, a1, pop, kind in zip(*cols, strict=True)
        ]
        self._by_id = {p.geonameid: i for i, p in enumerate(self.places)}
        self._codes: dict[str, int | list[int]] = data["codes"]
        self._common_main: dict[str, int | list[int]] = data["common_main"]
        self._consonants: dict[str, int | list[int]] = data["consonants"]
        self._regional: dict[str, int | list[int]] = data["regional"]
        self._demonyms: dict[str, int | list[int]] = data["demonyms"]
        self._regions = {(p.country, p.admin1): p for p in self.places if p.kind == "region"}
        # name key -> place index, or a list of them where several places share the key
        self._main: dict[str, int | list[int]] = data["main"]
        self._alt: dict[str, int | list[int]] = data["alt"]
        self._skel: dict[str, int | list[int]] = data["skel"]
        self._stem: dict[str, int | list[int]] = data["stem"]
        # In-scope spellings for fuzzy matching, grouped by first letter: (skeletons, places)
        self._fuzzy: dict[str, tuple[list[str], list[int]]] = data["fuzzy"]
        self.blocked: frozenset[str] = frozenset(data["blocked"])
        self.common: frozenset[str] = frozenset(data["common"])
        self.stop: frozenset[str] = frozenset(data["stop"])
        self._points: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        # The memos belong to this gazetteer alone. Ingest and /ask threads geoparse at the
        # same time: lru_cache keeps its table coherent under concurrent calls (at worst a
        # value is computed twice), and every value is a pure function of the surface.
        self._lookups = functools.lru_cache(maxsize=_MEMO_SIZE)(self._lookup)
        self._words = functools.lru_cache(maxsize=_MEMO_SIZE)(self._word)

    def __len__(self) -> int:
        return len(self.places)

    def get(self, geonameid: int) -> Place | None:
        """The place with this GeoNames id, if the gazetteer has it."""
        i = self._by_id.get(geonameid)
        return None if i is None else self.places[i]

    def nearest(
        self, lat: float, lon: float, max_km: float = 25.0, min_population: int = 2000
    ) -> tuple[Place, float] | None:
        """The nearest town of ``min_population`` or more within ``max_km`` of a point (else
        the nearest place of any size), with its distance: a name for a shared location."""
        if self._points is None:
            self._points = (
                np.array([p.lat for p in self.places]),
                np.array([p.lon for p in self.places]),
                np.array([p.population for p in self.places]),
            )
        plat, plon, pop = self._points
        km = haversine_matrix(np.array([lat]), np.array([lon]), plat, plon)[0]
        for floor in (min_population, 0):
            fits = np.flatnonzero((km <= max_km) & (pop >= floor))
            if len(fits):
                best = int(fits[np.argmin(km[fits])])
                return self.places[best], round(float(km[best]), 1)
        return None

    def _places(self, bucket: int | list[int] | None) -> list[Place]:
        return [self.places[i] for i in _index(bucket)]

    def code(self, surface: str) -> list[Place]:
        """The country or union an abbreviation names, as written: "U.S.", "UK", "EU"."""
        return self._places(self._codes.get(code_key(surface)))

    def demonym(self, surface: str) -> Place | None:
        """The country a demonym in any supported language names: "Syrian", "soudanais"."""
        found = self._places(self._demonyms.get(surface.casefold()))
        return found[0] if len(found) == 1 else None

    def demonyms_in(self, text: str) -> set[str]:
        """ISO codes of the countries whose demonyms a text uses, in any case and language
        ("les forces soudanaises", "ukrainische Drohnen"): a cue, not a mention."""
        out = set()
        for word in set(_LETTERS.findall(text)):
            bucket = self._demonyms.get(word.casefold())
            if isinstance(bucket, int):  # a form two countries share names neither
                out.add(self.places[bucket].country)
        return out

    def regional(self, surface: str) -> list[Place]:
        """Regions a name means where the text uses it as a region ("the Kherson region",
        "Херсонська область"), including those named like a town."""
        found = self._places(self._regional.get(fold(surface)))
        sk = region_key(surface)
        if len(sk) >= MIN_KEY:
            found += [p for p in self._places(self._regional.get(sk)) if p not in found]
        return found

    def region(self, country: str, admin1: str) -> Place | None:
        """The first-level region a town lies in, as a place."""
        return self._regions.get((country, admin1))

    def in_scope(self, place: Place) -> bool:
        """Whether the place lies in one of the scope countries."""
        return place.country in self.scope

    def lookup(self, surface: str, fuzzy: bool = True) -> list[Candidate]:
        """Every place ``surface`` may name, best match kind first per place (memoised)."""
        return self._lookups(surface, fuzzy)

    def word(self, surface: str) -> list[Candidate]:
        """The places one word of running text may name (memoised): a frequent word
        ("Roy") names only large places, an uncapitalised one only a place spelt like it."""
        return self._words(surface)

    def _word(self, surface: str) -> list[Candidate]:
        if len(surface) < 3:
            return []
        lower = not surface[0].isupper() and not has_abjad(surface)  # no case in Arabic
        found = self.lookup(surface, fuzzy=not lower)
        if found and fold(surface) in self.common:
            found = [c for c in found if c.big or c.needs_region]
        if lower:  # an uncapitalised word must be spelt like the place
            found = [c for c in found if c.match in STRONG_MATCHES] if len(surface) >= 4 else []
        return found

    def _lookup(self, surface: str, fuzzy: bool) -> list[Candidate]:
        key = fold(surface)
        if not key or key in self.blocked:
            return []
        found: dict[int, Candidate] = {}

        def add(indices: int | list[int] | None, match: str, distance: int = 0) -> None:
            for i in _index(indices):
                if i not in found:
                    found[i] = Candidate(self.places[i], match, distance)

        add(self._main.get(key), "exact")
        add(self._alt.get(key), "transliteration" if has_cyrillic(surface) else "alternate")
        for i in _index(self._common_main.get(key)):
            if i not in found:
                found[i] = Candidate(self.places[i], "exact", needs_region=True)
        if has_abjad(surface):  # "حلب": its consonants meet Halab's
            k = consonant_key(surface)
            if len(k) >= 3:
                add(self._consonants.get(k), "script")
            return _prune(list(found.values()))
        skel = skeleton(surface)
        if len(skel) < MIN_KEY:
            return _prune(list(found.values()))
        add(self._skel.get(skel), "transliteration")
        # Cyrillic names are inflected in running text: "Суджу" is Sudzha
        st = stem(skel, 4 if has_cyrillic(surface) else 5)
        if st != skel:
            add(self._stem.get(st), "inflection")
            add(self._skel.get(st), "inflection")
        if fuzzy and len(skel) >= 7 and not any(c.match != "inflection" for c in found.values()):
            for i, distance in self._near(skel, 1 if len(skel) < 9 else 2):
                add(i, "fuzzy", distance)
        return _prune(list(found.values()))

    def _near(self, skel: str, limit: int) -> list[tuple[int, int]]:
        """In-scope places with a spelling within ``limit`` edits of ``skel``."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        keys, places = self._fuzzy.get(skel[0], ([], []))
        # OSA: a swap of two letters ("Kramatorks") is one edit, as people make it
        hits = process.extract(skel, keys, scorer=OSA.distance, score_cutoff=limit, limit=None)
        best: dict[int, int] = {}
        for key, distance, pos in hits:
            if skel.startswith(key) and skel[len(key) :] in _ADJECTIVE_ENDINGS:
                continue  # "Seversky" is an adjective of Seversk, not Seversk
            i = places[pos]
            best[i] = min(distance, best.get(i, limit))
        return sorted(best.items(), key=lambda t: t[1])

    def suggest(self, surface: str, limit: int = 5) -> list[Place]:
        """In-scope places spelt like ``surface``, the likeliest first (for "did you mean")."""
        skel = skeleton(surface)
        if len(skel) < 3:
            return []
        near = self._near(skel, 1 if len(skel) < 6 else 2)
        ranked = sorted(
            near, key=lambda t: (t[1], -self.places[t[0]].population, self.places[t[0]].name)
        )
        out: list[Place] = []
        for i, _ in ranked:
            if self.places[i] not in out:
                out.append(self.places[i])
        return out[:limit]


def _index(bucket: int | list[int] | None) -> list[int]:
    """The place indices of a table entry: one int, or a list where places share the key."""
    if bucket is None:
        return []
    return [bucket] if isinstance(bucket, int) else bucket


# A city this large, named exactly, is never lost to a smaller place reached by a guess.
_SURE_CITY_POPULATION = 100_000
_GUESSES = frozenset({"inflection", "fuzzy"})


def _prune(found: list[Candidate]) -> list[Candidate]:
    """Readings no text means: a smaller place reached only by a case ending or a fuzzy
    guess beside a large city named exactly, a place inside a country named like it
    ("Mexico" is the country, not Mexico City), and a region named like one of its towns
    ("حلب" is Aleppo, the city)."""
    if len(found) < 2:
        return found
    named = [c for c in found if c.match in ("exact", "alternate")]
    countries = {c.place.country for c in named if c.place.kind == "country"}
    if countries:
        found = [
            c
            for c in found
            if c.place.kind in ("country", "continent") or c.place.country not in countries
        ]
    # a region and a town of it named alike ("حلب", Aleppo): the town, unless the text
    # says "region" (such names are then read from the regional table)
    towns = {
        (c.place.country, c.place.admin1)
        for c in found
        if c.place.kind == "town" and c.match in STRONG_MATCHES
    }
    found = [
        c
        for c in found
        if not (c.place.kind == "region" and (c.place.country, c.place.admin1) in towns)
    ]
    cities = [c.place.population for c in named if c.place.kind == "town"]
    if cities and max(cities) >= _SURE_CITY_POPULATION:
        big = max(cities)
        found = [c for c in found if not (c.match in _GUESSES and c.place.population < big)]
    return found


def load_gazetteer(files: GazetteerFiles) -> Gazetteer:
    """The compiled gazetteer: from the cache if it is current, else compiled and cached."""
    return Gazetteer(cached_tables(files))
