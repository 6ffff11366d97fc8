"""Find place mentions in text and resolve each to one GeoNames place, with a confidence."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.models import Place
from index.places.gazetteer import Candidate, Gazetteer
from index.places.geo import haversine_km, haversine_matrix
from index.places.spans import NameSpan, spans
from index.places.translit import skeleton

_CONTEXT_RANGE_KM = 60.0
_CORPUS_RANGE_KM = 150.0
_BROAD_RANGE_KM = 400.0
# How much the other places of a text can add to a candidate's score: up to 4 for places
# within tens of km, 1.5 more for places in the same part of the world.
_LOCAL_WEIGHT = 4.0
_BROAD_WEIGHT = 1.5
# A village this small, this far from every other place the text is sure of, is doubted.
_STRAY_POPULATION = 5_000
_STRAY_KM = 75.0
# How much each kind of match is worth before context; and the cap it puts on confidence.
_KIND_SCORE = {
    "exact": 1.5, "alternate": 0.8, "transliteration": 0.6, "inflection": 0.3, "fuzzy": 0.0,
    "demonym": 1.0, "script": 0.6,
}  # fmt: skip
_KIND_CONFIDENCE = {
    "exact": 1.0, "alternate": 0.97, "transliteration": 0.93, "inflection": 0.85, "fuzzy": 0.8,
    "demonym": 0.9, "script": 0.93,
}  # fmt: skip
# A town in a country the text names (or whose demonym it uses) is as likely as one in scope.
_TEXT_COUNTRY_WEIGHT = 1.5
_UKRAINIAN = re.compile(r"[іїєґІЇЄҐ]")
# Abroad, only the exact name of a large city is taken at its word ("Paris", not "Hanna").
_FOREIGN_SURE_POPULATION = 100_000


@dataclass(frozen=True, slots=True)
class Mention:
    """A place name in a text: where, what it resolved to, how it matched, how sure."""

    surface: str
    start: int
    end: int
    place: Place | None
    match: str  # exact | alternate | transliteration | inflection | fuzzy | context
    confidence: float
    candidates: int
    why: str
    alternatives: tuple[Place, ...] = ()  # the likeliest places, best first


@dataclass(frozen=True, slots=True)
class ContextPoint:
    """A place the surroundings of a text make likely (e.g. much reported in the corpus)."""

    lat: float
    lon: float
    weight: float = 1.0


def _prior(
    c: Candidate, gazetteer: Gazetteer, surface: str, countries: frozenset[str] = frozenset()
) -> float:
    scope = 2.0 if gazetteer.in_scope(c.place) else 0.0
    if not scope and c.place.kind == "town" and c.place.country in countries:
        scope = _TEXT_COUNTRY_WEIGHT
    # Letters only Ukrainian has (і, ї, є, ґ) name a place in Ukraine more often than not.
    ukrainian = 1.0 if c.place.country == "UA" and _UKRAINIAN.search(surface) else 0.0
    size = 0.7 * math.log10(c.place.population + 10)
    return size + scope + ukrainian + _KIND_SCORE[c.match] - 0.4 * c.distance


def _certainty(
    c: Candidate, gazetteer: Gazetteer, countries: frozenset[str] = frozenset()
) -> float:
    """How far a match of this kind can be trusted, before the choice among candidates.
    Abroad (outside the scope and the countries the text names) only a large city's exact
    name is sure; an area (region, country, continent) is known anywhere."""
    sure = _KIND_CONFIDENCE[c.match] - 0.1 * c.distance - (0.15 if c.distance >= 2 else 0.0)
    if c.place.kind == "town" and not (gazetteer.in_scope(c.place) or c.place.country in countries):
        # a city's own name, in its own script or ours ("حلب" is Aleppo)
        big = c.match in ("exact", "script") and c.place.population >= _FOREIGN_SURE_POPULATION
        sure *= 1.0 if big else 0.6 if c.match == "exact" else 0.5
    return sure


_Choice = tuple[Candidate, float, bool, tuple[Place, ...]]


def find_places(
    text: str,
    gazetteer: Gazetteer,
    context: Sequence[ContextPoint] = (),
    min_confidence: float = 0.5,
    lowercase: bool = False,
    context_weight: float = 2.5,
) -> list[Mention]:
    """Place mentions in ``text``, each resolved to a place or to None when unsure.

    Disambiguation weighs population, the scope countries and how the name matched, then
    the other places of the same text (a Fedorivka named beside Myrnohrad is the one near
    it; a town "in the Kharkiv region" lies there), then ``context`` (e.g. the places the
    corpus reports on most). Candidates of all names support each other by proximity, in
    proportion to how likely each is, over a few rounds. One name is one place per text.
    """
    found, regions = spans(text, gazetteer, lowercase)
    if not found and not regions:
        return []
    countries = _text_countries(text, found, regions, gazetteer)
    mentions, region_set = _regions(regions, gazetteer, countries)
    _area_context(found, region_set)
    found = _unlock(found, region_set, gazetteer)
    if not found:
        mentions.sort(key=lambda m: m.start)
        return mentions
    by_key: dict[str, list[NameSpan]] = {}
    for sp in found:
        by_key.setdefault(skeleton(sp.surface), []).append(sp)
    keys = list(by_key)
    options = [list(by_key[key][0].candidates) for key in keys]
    choices: list[_Choice]
    if all(len(o) == 1 for o in options):  # the common case: nothing to choose
        choices = [(o[0], 1.0, False, (o[0].place,)) for o in options]
    else:
        choices = _choose(
            keys, by_key, options, region_set, countries, gazetteer, context, context_weight
        )
    confidence = [round(p * _certainty(c, gazetteer, countries), 3) for c, p, _, _ in choices]
    _doubt_strays(choices, confidence, gazetteer)
    for k, key in enumerate(keys):
        c, _, by_context, alternatives = choices[k]
        n = len(options[k])
        why = f"{c.match} match" + (f", {n} candidates" if n > 1 else "")
        if by_context:
            why += ", chosen by the other places in the text"
        place = c.place if confidence[k] >= min_confidence else None
        match = "context" if by_context else c.match
        for sp in by_key[key]:
            mentions.append(
                Mention(
                    sp.surface,
                    sp.start,
                    sp.end,
                    place,
                    match,
                    confidence[k],
                    n,
                    why,
                    alternatives,
                )
            )
    mentions.sort(key=lambda m: m.start)
    return mentions


def _text_countries(
    text: str, found: list[NameSpan], regions: list[NameSpan], gazetteer: Gazetteer
) -> frozenset[str]:
    """The countries a text is about: those it names or whose demonyms it uses, in any
    language, and those of the regions it names."""
    out = set(gazetteer.demonyms_in(text))
    for sp in [*found, *regions]:
        for c in sp.candidates:
            if c.place.kind in ("country", "region") and c.match in (
                "exact",
                "alternate",
                "demonym",
            ):
                out.add(c.place.country)
    return frozenset(out)


def _area_context(found: list[NameSpan], region_set: set[tuple[str, str]]) -> None:
    """Regions the text names as places ("Paris, Texas"), for its towns to lie in."""
    for sp in found:
        for c in sp.candidates:
            if c.place.kind == "region" and c.match in ("exact", "alternate"):
                region_set.add((c.place.country, c.place.admin1))


def _unlock(
    found: list[NameSpan], region_set: set[tuple[str, str]], gazetteer: Gazetteer
) -> list[NameSpan]:
    """Drop the readings of towns named like frequent words unless the text names their
    region or they lie in scope."""
    out = []
    for sp in found:
        if any(c.needs_region for c in sp.candidates):
            kept = tuple(
                c
                for c in sp.candidates
                if not c.needs_region
                or (c.place.country, c.place.admin1) in region_set
                or gazetteer.in_scope(c.place)
            )
            if not kept:
                continue
            sp = NameSpan(sp.surface, sp.start, sp.end, kept, sp.region)
        out.append(sp)
    return out


def _regions(
    regions: list[NameSpan], gazetteer: Gazetteer, countries: frozenset[str]
) -> tuple[list[Mention], set[tuple[str, str]]]:
    """The regions a text names as regions ("the Kherson region", "province of Kharkov"):
    mentions of them, and their (country, name) for the towns of the text to lie in."""
    mentions: list[Mention] = []
    region_set: set[tuple[str, str]] = set()
    for sp in regions:
        named = [c for c in sp.candidates if c.place.kind == "region"]
        towns = [c for c in sp.candidates if c.place.kind == "town"]
        place: Place | None = None
        match = "exact"
        if named:
            best = max(named, key=lambda c: _prior(c, gazetteer, sp.surface, countries))
            place, match = best.place, best.match
        elif towns:  # the likeliest town of the name: its region is the one meant
            top = max(towns, key=lambda c: _prior(c, gazetteer, sp.surface, countries))
            if top.place.admin1:
                region_set.add((top.place.country, top.place.admin1))
                place = gazetteer.region(top.place.country, top.place.admin1)
                match = top.match
        if place is None:
            continue
        region_set.add((place.country, place.admin1))
        if sp.region:
            sure = _KIND_CONFIDENCE.get(match, 0.8)
            mentions.append(
                Mention(
                    sp.surface,
                    sp.start,
                    sp.end,
                    place,
                    match,
                    sure,
                    len(named) or 1,
                    f"{match} match, named as a region",
                    (place,),
                )
            )
    return mentions, region_set


def _doubt_strays(choices: list[_Choice], confidence: list[float], gazetteer: Gazetteer) -> None:
    """A village far from every other place the text is sure of is likely a namesake of
    one that is not in the gazetteer: lower its confidence."""
    sure = [
        (k, c.place)
        for k, (c, _, _, _) in enumerate(choices)
        if confidence[k] >= 0.8 and gazetteer.in_scope(c.place)
    ]
    for k, (c, _, _, _) in enumerate(choices):
        if c.place.population >= _STRAY_POPULATION:
            continue
        others = [p for j, p in sure if j != k]
        if (
            others
            and min(haversine_km(c.place.lat, c.place.lon, p.lat, p.lon) for p in others)
            > _STRAY_KM
        ):
            confidence[k] = round(confidence[k] * 0.5, 3)


def _choose(
    keys: list[str],
    by_key: dict[str, list[NameSpan]],
    options: list[list[Candidate]],
    region_set: set[tuple[str, str]],
    countries: frozenset[str],
    gazetteer: Gazetteer,
    context: Sequence[ContextPoint],
    context_weight: float,
) -> list[_Choice]:
    """Pick a candidate per name: priors, then rounds of mutual support by proximity."""
    cands = [c for o in options for c in o]
    owner = np.array([k for k, o in enumerate(options) for _ in o])
    lat = np.array([c.place.lat for c in cands])
    lon = np.array([c.place.lon for c in cands])
    prior = np.array(
        [
            _prior(c, gazetteer, by_key[key][0].surface, countries)
            for key, o in zip(keys, options, strict=True)
            for c in o
        ]
    )
    if region_set:  # a town in a region the text names ("Fedorivka ... Zaporizhzhia region")
        prior += 2.0 * np.array(
            [
                c.place.kind == "town" and (c.place.country, c.place.admin1) in region_set
                for c in cands
            ]
        )
    if context:
        clat = np.array([p.lat for p in context])
        clon = np.array([p.lon for p in context])
        cw = np.array([p.weight for p in context])
        near = (
            np.exp(-((haversine_matrix(lat, lon, clat, clon) / _CORPUS_RANGE_KM) ** 2))
            * cw[None, :]
        )
        prior += context_weight * near.max(axis=1)
    km = haversine_matrix(lat, lon, lat, lon)
    same = owner[:, None] == owner[None, :]
    # Gaussian kernels: a town 30 km away is strong evidence, one 150 km away almost none;
    # the broad one says only "the same part of the world" (the Donbas, not the Urals).
    kernel = (
        _LOCAL_WEIGHT * np.exp(-((km / _CONTEXT_RANGE_KM) ** 2))
        + _BROAD_WEIGHT * np.exp(-((km / _BROAD_RANGE_KM) ** 2))
    ) / (_LOCAL_WEIGHT + _BROAD_WEIGHT)
    kernel[same] = 0.0
    # candidates are ordered by name: each name's candidates are one slice
    starts = np.concatenate(([0], np.flatnonzero(owner[1:] != owner[:-1]) + 1))
    foreign = owner[:, None] != np.arange(len(keys))[None, :]

    def softmax(score: np.ndarray) -> np.ndarray:
        e = np.exp(score - np.maximum.reduceat(score, starts)[owner])
        return np.asarray(e / np.add.reduceat(e, starts)[owner])

    def support(kernel: np.ndarray, prob: np.ndarray) -> np.ndarray:
        # noisy-OR over the other names: at most 1, however many names agree
        reach = np.maximum.reduceat(kernel * prob[None, :], starts, axis=1) * foreign
        return np.asarray(1.0 - np.prod(1.0 - reach, axis=1))

    prob = softmax(prior)
    score = prior
    for _round in range(1 if len(keys) > 1 else 0):  # a second round changed no result
        score = prior + (_LOCAL_WEIGHT + _BROAD_WEIGHT) * support(kernel, prob)
        prob = softmax(score)
    groups = [np.arange(a, b) for a, b in zip(starts, [*starts[1:], len(cands)], strict=True)]
    out: list[_Choice] = []
    for g in groups:
        best = int(g[np.argmax(score[g])])
        by_context = best != int(g[np.argmax(prior[g])])
        ranked = sorted(g, key=lambda j: -prob[j])[:5]
        out.append(
            (cands[best], float(prob[best]), by_context, tuple(cands[j].place for j in ranked))
        )
    return out
