"""Which place a question's place name means: the readings the corpus reports on come first.

A name has readings, the places it may mean ("Seversk": Siversk in Donetsk oblast, Seversk
in Tomsk Oblast). The one a question asks about is most likely the one the stored reports
are about; without reports, the geoparser's choice (population, scope, context) stands.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from index.models import Place, Reading
from index.places.gazetteer import STRONG_MATCHES, Gazetteer
from index.places.geo import haversine_km
from index.places.geoparse import Mention
from index.places.translit import skeleton

# How many reports a reading has within a radius of it: (passages, recency-weighted).
Evidence = Callable[[Place, float], tuple[int, float]]

CLEARLY_MORE = 2.0  # a reading with this many times the evidence of the next is the answer
MAX_ALTERNATIVES = 5
MAX_CANDIDATES = 8
QUALIFIER_TOWN_KM = 60.0  # "Fedorivka, Polohy": a Fedorivka this near Polohy
_LANDMARK_KM = 50.0  # within the reach of a town qualifier, so the hint can be typed back
_LANDMARK_POPULATION = 10_000
_MATCH_PREFIX = 5  # skeleton letters two spellings of a region share ("zapor…")
# Words that say "region" in a qualifier or an admin1 name, in the languages users write.
_REGION_WORDS = re.compile(
    r"\b(?:oblast'?|oblast|region|province|governorate|krai|kray|republic|raion|district|"
    r"область|області|области|обл|край|республика|республіка)\b\.?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Choice:
    """The reading answered for (None: the user must pick one of ``candidates``), and the
    others the name may mean."""

    place: Place | None
    alternatives: tuple[Reading, ...] = ()
    candidates: tuple[Reading, ...] = ()


def readings_of(mention: Mention, gazetteer: Gazetteer) -> list[Place]:
    """Every place the mention's name may mean: its spellings' places (not guesses), else
    what the geoparser considered."""
    found = gazetteer.lookup(mention.surface, fuzzy=False)
    strong = [c.place for c in found if c.match in STRONG_MATCHES]
    places = strong or [c.place for c in found]
    if mention.place is not None and mention.place.is_area:
        # "the Belgorod region" is the region: the towns of the name are not its readings
        places = [mention.place, *(p for p in places if p.is_area)]
    if not places:
        places = [mention.place] if mention.place is not None else list(mention.alternatives)
    elif mention.place is not None and mention.place not in places:
        places.insert(0, mention.place)
    return list(dict.fromkeys(places))


def qualified(readings: Sequence[Place], qualifier: str, gazetteer: Gazetteer) -> list[Place]:
    """The readings a qualifier names: by region ("Zaporizhzhia", "Zaporizka oblast",
    "Запорізька область"), else by a town within :data:`QUALIFIER_TOWN_KM`."""
    wanted = skeleton(_REGION_WORDS.sub(" ", qualifier))
    if len(wanted) >= 3:
        by_region = [p for p in readings if _same_region(wanted, p.admin1)]
        if by_region:
            return by_region
    towns = [
        c.place
        for c in gazetteer.lookup(qualifier.strip(), fuzzy=False)
        if c.match in STRONG_MATCHES
    ]
    return [
        p
        for p in readings
        if any(
            t.geonameid != p.geonameid
            and haversine_km(p.lat, p.lon, t.lat, t.lon) <= QUALIFIER_TOWN_KM
            for t in towns
        )
    ]


def _same_region(wanted: str, admin1: str) -> bool:
    have = skeleton(_REGION_WORDS.sub(" ", admin1))
    if not have:
        return False
    shared = 0
    for a, b in zip(wanted, have, strict=False):
        if a != b:
            break
        shared += 1
    return shared >= min(_MATCH_PREFIX, len(wanted), len(have))


def choose(
    readings: Sequence[Place],
    preferred: Place | None,
    evidence: Evidence | None,
    radius_km: float,
    gazetteer: Gazetteer,
) -> Choice:
    """The reading to answer for: the one with reports, or clearly more of them than the
    next; without reports anywhere, ``preferred`` (the geoparser's choice) or the only one.
    Two readings with comparable reports are for the user to pick."""
    scored = [Reading(p, *(evidence(p, radius_km) if evidence else (0, 0.0))) for p in readings]
    scored.sort(
        key=lambda r: (
            -r.weight,
            -r.reports,
            r.place != preferred,
            not gazetteer.in_scope(r.place),
            -r.place.population,
        )
    )
    reported = [r for r in scored if r.reports]
    if reported:
        best = reported[0]
        if len(reported) > 1 and best.weight < CLEARLY_MORE * reported[1].weight:
            return Choice(None, candidates=_landmarked(reported[:MAX_CANDIDATES], gazetteer))
        chosen: Place | None = best.place
    elif preferred is not None or len(scored) == 1:
        chosen = preferred or scored[0].place
    else:
        return Choice(None, candidates=_landmarked(scored[:MAX_CANDIDATES], gazetteer))
    others = [r for r in scored if r.place != chosen][:MAX_ALTERNATIVES]
    return Choice(chosen, alternatives=_landmarked(others, gazetteer))


def _landmarked(readings: Sequence[Reading], gazetteer: Gazetteer) -> tuple[Reading, ...]:
    """The readings with the nearest larger town named, where one is near."""
    out = []
    for r in readings:
        p = r.place
        near = gazetteer.nearest(
            p.lat, p.lon, _LANDMARK_KM, max(_LANDMARK_POPULATION, p.population + 1)
        )
        landmark = None
        if near is not None and near[0].population > p.population and near[1] >= 1.0:
            landmark = f"{near[1]:g} km from {near[0].name}"
        out.append(Reading(p, r.reports, r.weight, landmark))
    return tuple(out)
